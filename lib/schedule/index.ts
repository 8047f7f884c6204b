export * from './job-assembly';
export * from './job-scheduler';
