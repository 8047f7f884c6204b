export * from './job-configuration.defaults';
export * from './job-configuration.validator';
export * from './job-configuration.yaml';
export * from './sharding-item-parameters.parser';
export * from './config.service';
export * from './config.listener';
export * from './job-entry.coercion';
export * from './job-retry-policy';
