export * from './job-operate.api';
export * from './job-configuration.api';
export * from './job-statistics.api';
export * from './server-statistics.api';
export * from './sharding-statistics.api';
export * from './sharding-operate.api';
export * from './namespace.reader';
