export * from './job-error-handler.strategy';
export * from './job-executor';
export * from './job-facade';
export * from './job-types';
export * from './pipeline';
export * from './sharding-context';
