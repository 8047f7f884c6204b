export * from './elastic-job.decorator';
export * from './elastic-dataflow-job.decorator';
