export * from './execution.service';
