export * from './config.service';
export * from './execution.service';
export * from './instance-identity';
export * from './instance.service';
export * from './job-node-path';
export * from './server.service';
export * from './sharding.service';
