/**
 * What a job handler receives for one sharding item of one fire.
 */
export interface ShardingContext {
  /** Name of the job. */
  readonly jobName: string;
  /** Id of this execution: `{jobName}@-@{items}@-@{READY|FAILOVER}@-@{ip}@-@{pid}`. */
  readonly taskId: string;
  /** Total number of sharding items of the job. */
  readonly shardingTotalCount: number;
  /** The sharding item this call is for, `0 .. shardingTotalCount - 1`. */
  readonly shardingItem: number;
  /** The parameter of this item from `shardingItemParameters`, or `''`. */
  readonly shardingParameter: string;
  /** The job-wide `jobParameter`, or `''`. */
  readonly jobParameter: string;
  /** Aborted when this instance loses its claim on the item or shuts down past the grace period. */
  readonly signal: AbortSignal;
  /** Grows with every new claim of the item (the ZooKeeper zxid of the claim); `0` when not claimed in ZooKeeper. */
  readonly fencingToken: number;
}
