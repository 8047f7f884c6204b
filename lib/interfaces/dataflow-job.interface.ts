import { JobConfiguration } from './job-configuration.interface';
import { ShardingContext } from './sharding-context.interface';

/**
 * A dataflow job: per sharding item, `fetchData` then `processData`. Implemented by a provider class decorated with
 * `@ElasticDataflowJob`.
 */
export interface DataflowJob<T = unknown> {
  /** Fetches the data of the item; an empty array ends the item's run (and a streaming loop). */
  fetchData(context: ShardingContext): Promise<T[]>;
  /** Processes what `fetchData` returned. */
  processData(context: ShardingContext, data: T[]): Promise<void>;
}

/** Configuration of a dataflow job: a `JobConfiguration` plus the streaming switch. */
export interface DataflowJobConfiguration extends JobConfiguration {
  /**
   * `true`: fetch and process again and again until a fetch returns no data, the item moves to another instance, or
   * the instance shuts down. `false`: one fetch and one process per item per fire. Stored in ZooKeeper as the
   * property `streaming.process`. Default: `false`.
   */
  streamingProcess?: boolean;
}
