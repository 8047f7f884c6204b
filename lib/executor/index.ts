export * from './job-error-handler.strategy';
export * from './job-executor';
export * from './dataflow-job.runner';
