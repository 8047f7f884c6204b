import { STREAMING_PROCESS_PROP } from '../elastic-job.constants';
import { DataflowJob, DataflowJobConfiguration, JobConfiguration, ShardingContext } from '../interfaces';
import { JobHandler } from './job-executor';
import { ItemShardingContext } from './sharding-context';

/** Moves `streamingProcess` into ElasticJob's property, where the registry keeps it. */
export function toDataflowConfiguration(config: DataflowJobConfiguration): JobConfiguration {
  const { streamingProcess, ...rest } = config;
  return {
    ...rest,
    props: { ...(rest.props ?? {}), [STREAMING_PROCESS_PROP]: String(streamingProcess ?? false) },
  };
}

/**
 * The per-item handler of a dataflow job. Streaming (the job's `streaming.process` property, read live) goes on until
 * a fetch returns no data, the item is no longer this instance's (a reshard), or the instance shuts down.
 */
export function dataflowHandler(job: DataflowJob): JobHandler {
  return async (context: ShardingContext) => {
    const item = context as Partial<ItemShardingContext>;
    do {
      const data = await job.fetchData(context);
      if (!data || data.length === 0) {
        return;
      }
      await job.processData(context, data);
    } while (item.isStreaming?.() && item.isCurrent?.());
  };
}
