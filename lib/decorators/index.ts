export * from './elastic-job.decorator';
