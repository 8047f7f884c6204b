export * from './execution.service';
export * from './execution.listener';
