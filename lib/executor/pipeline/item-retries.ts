import { retryDelay, RetryPolicy } from '../../config';
import { logger } from '../../elastic-job.logger';
import type { ExecutionSource } from '../../interfaces';
import type { JobFacade } from '../job-facade';
import type { RunState } from '../run-state';
import type { ItemShardingContext } from '../sharding-context';
import { errorContextOf, Execution } from './execution';
import { itemEvent, JobEventBus } from './job-event-bus';

/**
 * The retries of failed item runs (`props['retry.max.attempts']`), on this instance: whether an item may run again,
 * and the wait before it does, with the failed attempt reported to the error handler and the event sink.
 */
export class ItemRetries {
  constructor(
    private readonly facade: JobFacade,
    private readonly state: RunState,
    private readonly events: JobEventBus,
  ) {}

  /**
   * Whether the failed attempt may be retried: attempts are left, the job goes on, the lease is held, the run was not
   * aborted, and the item is still this instance's (a failover run holds its claim until it ends).
   */
  allows(retry: RetryPolicy, source: ExecutionSource, context: ItemShardingContext): boolean {
    const { state, facade } = this;
    const item = context.shardingItem;
    return (
      context.attempt <= retry.retries &&
      !state.stopped &&
      state.abortReason === undefined &&
      !state.interrupted?.has(item) &&
      facade.hasLease() &&
      (source === 'FAILOVER' || facade.localItems().includes(item))
    );
  }

  /**
   * Reports the failed attempt (its end event; the error handler, told the item will be retried, whose rethrow is
   * ignored: only the last failure is the item's), waits out the backoff (cut short when the job stops or loses its
   * lease), and resolves whether the retry still may happen.
   */
  async waitToRetry(
    execution: Execution,
    retry: RetryPolicy,
    context: ItemShardingContext,
    startTime: number,
    error: unknown,
  ): Promise<boolean> {
    const { facade, state, events } = this;
    const { jobName, shardingItem: item, attempt } = context;
    const delay = retryDelay(retry, attempt);
    if (events.active) {
      events.post(itemEvent(context, facade.instanceId, startTime, { success: false, failureCause: error }));
    }
    try {
      const reported = { attempt, maxAttempts: retry.retries + 1, retryInMilliseconds: delay };
      const described = errorContextOf(execution, facade.instanceId);
      await facade.errorHandler().handleException(jobName, error, item, reported, described);
    } catch {
      // Only the last failure is the item's: a rethrow for an attempt that is retried changes nothing.
    }
    await state.backoff(delay);
    if (this.allows(retry, execution.source, context)) {
      return true;
    }
    const why =
      state.stopped || state.abortReason !== undefined
        ? 'the job stops or lost its lease'
        : "it is no longer this instance's";
    logger.warn(`Job "${jobName}": item ${item} is not retried (${why})`);
    return false;
  }
}
