/**
 * Why a run happens: its fire (`NORMAL_TRIGGER`), fires missed while the item was still running or the process could
 * not run it (`MISFIRE`, several collapsed into one run), or a run cut short elsewhere taken over (`FAILOVER`).
 */
export type ExecutionSource = 'NORMAL_TRIGGER' | 'MISFIRE' | 'FAILOVER';

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
  /**
   * The time of the fire this run belongs to (epoch ms): the scheduled time, the latest missed fire for a misfire run,
   * and for a failover run the fire of the run it replaces. With the job name and the item, a key for idempotent writes.
   */
  readonly fireTime: number;
  /** Why this run happens. */
  readonly executionSource: ExecutionSource;
  /**
   * Grows with every new claim of the item: the zxid of the run's `running` marker with `monitorExecution` (every run
   * is a claim), else the zxid of the item's assignment. A handler can store it with its writes and reject writes
   * carrying a smaller one, so that an instance cut off from ZooKeeper cannot overwrite the work of its successor.
   */
  readonly fencingToken: number;
  /** Which run of the item this is in its execution: 1, then 2, 3, ... for retries (`props['retry.max.attempts']`). */
  readonly attempt: number;
}
