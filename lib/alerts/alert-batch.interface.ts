import type { JobErrorContext } from '../interfaces';

/** One failed item run that an alert reports: the last failure of the item in its execution. */
export interface AlertFailure {
  /** The sharding item; `-1` when the failure is not an item's (a hook of the execution). */
  readonly shardingItem: number;
  /** What the job threw. */
  readonly error: unknown;
}

/** The failures of one execution (one job, task, fire time and instance), reported as one message. */
export interface AlertBatch {
  /** The execution, as the first failure of the batch described it. */
  readonly context: JobErrorContext;
  /** In the order they happened; never empty. */
  readonly failures: readonly AlertFailure[];
}
