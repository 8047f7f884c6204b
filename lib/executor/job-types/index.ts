export * from './job-item-executor';
export * from './dataflow-job.executor';
export * from './script-job.executor';
export * from './http-job.executor';
export * from './configured-job.executor';
export * from './sharding-context.json';
