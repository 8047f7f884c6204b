import type { ExecutionSource } from './sharding-context.interface';

/** One execution on this instance: the items of one fire (or misfire run, failover run, trigger) it runs together. */
export interface ShardingContexts {
  readonly jobName: string;
  readonly taskId: string;
  readonly shardingTotalCount: number;
  /** The execution's `jobParameter`: the configured one, or a trigger's. */
  readonly jobParameter: string;
  /** Item -> parameter (`shardingItemParameters`, `''` when none), for this instance's items of this execution. */
  readonly shardingItemParameters: ReadonlyMap<number, string>;
  /** This instance's items of this execution. */
  readonly shardingItems: readonly number[];
  /** The fire the execution belongs to (epoch ms), as in each item's `ctx.fireTime`. */
  readonly fireTime: number;
  readonly executionSource: ExecutionSource;
}

/**
 * Called around each execution of a job on this instance (ElasticJob's `ElasticJobListener`): before its first item
 * starts and after its last item has ended. Declare it as a Nest provider with `@JobListener('type')` and select it
 * with the job's `jobListenerTypes`. A listener that throws is reported to the job's error handler; the items still
 * run and the other listeners still run.
 */
export interface ElasticJobListener {
  beforeJobExecuted(contexts: ShardingContexts): unknown;
  afterJobExecuted(contexts: ShardingContexts): unknown;
  /** Lower runs first; listeners without one run after those with one, in the order of `jobListenerTypes`. */
  readonly order?: number;
}
