import { logger } from '../elastic-job.logger';
import type { ExecutionHook } from '../executor';
import type { GuaranteeService } from '../guarantee';
import type { ResolvedJobConfiguration, ShardingContexts } from '../interfaces';
import type { DistributeOnceJobListener } from './distribute-once-job-listener';

/** What a distribute-once hook needs of its job. */
export interface DistributeOnceJob {
  readonly guarantee: GuaranteeService;
  config(): ResolvedJobConfiguration;
  /** Reports a failure around the items (a listener's, a wait that timed out) to the job's error handler. */
  report(error: unknown): void;
}

/**
 * A distribute-once listener as a stage of the fire pipeline. Before: a fire's instances register their items as
 * started and wait (up to `startedTimeoutMilliseconds`) until every item is registered and the one instance that
 * claims the fire has run `doBeforeJobExecutedAtLastStarted`; misfire and failover runs belong to a fire whose
 * barrier has passed, and do not wait. After: each instance registers the items whose run ended here, then, in the
 * background (the execution does not wait), watches until every item of the fire has ended (registered, or its
 * instance gone without failover to re-run it) and the one instance that claims it runs
 * `doAfterJobExecutedAtLastCompleted`; up to `completedTimeoutMilliseconds`.
 */
export function distributeOnceHook(listener: DistributeOnceJobListener, job: DistributeOnceJob): ExecutionHook {
  const { guarantee } = job;
  return {
    async beforeExecution(contexts) {
      if (contexts.executionSource !== 'NORMAL_TRIGGER') {
        return;
      }
      const { fireTime } = contexts;
      await guarantee.register('started', fireTime, contexts.shardingItems);
      let claimed = false;
      const ready = await guarantee.waitUntil(() => {
        if (guarantee.isDone('started', fireTime)) {
          return true;
        }
        if (!claimed && !guarantee.isClaimed('started', fireTime) && allStarted(job, contexts)) {
          claimed = true;
          // Whoever claims runs the listener; the others see the step done (or time out).
          void runOnce(job, 'started', fireTime, () => listener.doBeforeJobExecutedAtLastStarted(contexts));
        }
        return false;
      }, listener.startedTimeoutMilliseconds);
      if (!ready) {
        throw new Error(
          `Job "${contexts.jobName}": the distribute-once listener's start of the fire at ${iso(fireTime)} did not happen within ${listener.startedTimeoutMilliseconds} ms (startedTimeoutMilliseconds; items not registered: ${
            missing(job, 'started', fireTime).join(',') || 'none'
          }); the items run without it`,
        );
      }
    },
    async afterExecution(contexts, { handedOver }) {
      const { fireTime } = contexts;
      // An item handed to failover ends on its taker, which registers it.
      const ended = contexts.shardingItems.filter((item) => !handedOver.has(item));
      await guarantee.register('completed', fireTime, ended);
      void watchCompletion(listener, job, contexts);
    },
  };
}

async function watchCompletion(
  listener: DistributeOnceJobListener,
  job: DistributeOnceJob,
  contexts: ShardingContexts,
) {
  const { guarantee } = job;
  const { fireTime } = contexts;
  let claimed = false;
  const settled = await guarantee.waitUntil(() => {
    if (claimed || guarantee.isClaimed('completed', fireTime)) {
      return true;
    }
    if (allCompleted(job, fireTime)) {
      claimed = true;
      void runOnce(job, 'completed', fireTime, () => listener.doAfterJobExecutedAtLastCompleted(contexts));
      return true;
    }
    return false;
  }, listener.completedTimeoutMilliseconds);
  if (!settled) {
    job.report(
      new Error(
        `Job "${contexts.jobName}": the distribute-once listener's end of the fire at ${iso(fireTime)} did not happen within ${listener.completedTimeoutMilliseconds} ms (completedTimeoutMilliseconds; items not ended: ${missing(job, 'completed', fireTime).join(',')})`,
      ),
    );
  }
}

/** Claims the step of the fire and, if this instance has it, runs the listener and marks the step done. */
async function runOnce(job: DistributeOnceJob, step: 'started' | 'completed', fireTime: number, call: () => unknown) {
  try {
    if (!(await job.guarantee.claim(step, fireTime))) {
      return;
    }
    try {
      await call();
    } catch (error) {
      job.report(error);
    }
    await job.guarantee.markDone(step, fireTime);
  } catch (error) {
    logger.warn(`Job "${job.config().name}": the distribute-once ${step} step of ${iso(fireTime)} failed: ${error}`);
  }
}

function allStarted(job: DistributeOnceJob, contexts: ShardingContexts): boolean {
  return missing(job, 'started', contexts.fireTime).length === 0;
}

/**
 * Every item of the fire ended: registered as completed, or started by an instance that is gone while no failover
 * re-runs it (with failover, the taker's run registers the item).
 */
function allCompleted(job: DistributeOnceJob, fireTime: number): boolean {
  return missing(job, 'completed', fireTime).length === 0;
}

function missing(job: DistributeOnceJob, step: 'started' | 'completed', fireTime: number): number[] {
  const { guarantee } = job;
  const config = job.config();
  return guarantee.expectedItems(config.shardingTotalCount).filter((item) => {
    if (guarantee.registration(step, fireTime, item)) {
      return false;
    }
    if (step === 'started') {
      return true;
    }
    const starter = guarantee.registration('started', fireTime, item);
    return !(starter && !config.failover && !guarantee.isLive(starter.instanceId));
  });
}

const iso = (time: number) => new Date(time).toISOString();
