export * from './elastic-job.error';
