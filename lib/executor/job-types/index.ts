export * from './job-item-executor';
export * from './dataflow-job.executor';
