/**
 * Splits a job's sharding items between instances. `instances` are instance ids (`ip@-@pid`) in the order
 * ElasticJob uses: the children of `instances/` sorted in reverse lexicographic order. Returns, for each instance
 * that gets items, its items in ascending order. Implementations must be pure.
 */
export interface JobShardingStrategy {
  /** The name used in `jobShardingStrategyType`. */
  readonly type: string;
  sharding(instances: readonly string[], jobName: string, shardingTotalCount: number): Map<string, number[]>;
}
