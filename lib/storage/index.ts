export * from './job-node-path';
export * from './cache-wait';
export * from './node-formats';
export * from './registry-event-listener';
