export * from './cron-expression';
export * from './cron-timer';
export * from './time-zone';
