import { STREAMING_PROCESS_PROP } from '../../elastic-job.constants';
import { DataflowJob, DataflowJobConfiguration, JobConfiguration } from '../../interfaces';
import { JobItemExecutor } from './job-item-executor';

/** Moves `streamingProcess` into ElasticJob's property, where the registry keeps it. */
export function toDataflowConfiguration(config: DataflowJobConfiguration): JobConfiguration {
  const { streamingProcess, ...rest } = config;
  return {
    ...rest,
    props: { ...(rest.props ?? {}), [STREAMING_PROCESS_PROP]: String(streamingProcess ?? false) },
  };
}

/**
 * A dataflow job, per item. Streaming (the job's `streaming.process` property, read live) goes on until a fetch
 * returns no data, the item is no longer this instance's (a reshard), or the instance shuts down.
 */
export function dataflowJobExecutor(job: DataflowJob): JobItemExecutor {
  return {
    type: 'DATAFLOW',
    async execute(context, run) {
      do {
        const data = await job.fetchData(context);
        if (!data || data.length === 0) {
          return;
        }
        await job.processData(context, data);
      } while (run.isStreaming() && run.isCurrent());
    },
  };
}
