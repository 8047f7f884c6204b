export * from './job-node-path';
export * from './cache-wait';
