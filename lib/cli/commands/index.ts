export * from './job.commands';
export * from './server.commands';
export * from './operate.commands';
export * from './config.commands';
