export * from './elastic-job.decorator';
export * from './elastic-dataflow-job.decorator';
export * from './job-listener.decorator';
