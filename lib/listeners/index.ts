export * from './distribute-once-job-listener';
export * from './listener-hooks';
export * from './distribute-once.hook';
