export * from './cron-expression';
export * from './cron-scheduler';
export * from './time-zone';
