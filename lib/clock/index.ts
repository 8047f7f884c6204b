export * from './clock.service';
