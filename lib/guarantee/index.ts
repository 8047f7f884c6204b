export * from './guarantee.service';
