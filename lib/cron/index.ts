export * from './cron-expression';
export * from './cron-timer';
export * from './time-zone';
export { unixToQuartz } from './quartz-cron';
