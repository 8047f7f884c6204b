export * from './elastic-job-module-options.interface';
export * from './job-configuration.interface';
export * from './job-error-handler.interface';
export * from './sharding-context.interface';
export * from './dataflow-job.interface';
export * from './job-operations.interface';
export * from './job-sharding-strategy.interface';
export * from './job-listener.interface';
