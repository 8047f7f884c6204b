import type { JobErrorContext } from '../interfaces';
import type { AlertBatch, AlertFailure } from './alert-batch.interface';

/** How long a batch waits for another failure of its execution before it is sent. */
export const ALERT_QUIET_MS = 200;
/** How long a batch waits at most after its first failure, so that a steady stream of failures still alerts. */
export const ALERT_MAX_WAIT_MS = 2_000;

interface PendingBatch {
  readonly context: JobErrorContext;
  readonly failures: AlertFailure[];
  readonly firstAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Collects the failures of one execution (same job, task, fire time and instance) into one batch: the items of a
 * fire usually fail together, and one message listing them is read where ten would be muted.
 */
export class AlertBatcher {
  private readonly pending = new Map<string, PendingBatch>();

  constructor(
    /** Called with each batch when it is complete; must not throw. */
    private readonly send: (batch: AlertBatch) => void,
    private readonly quietMs = ALERT_QUIET_MS,
    private readonly maxWaitMs = ALERT_MAX_WAIT_MS,
  ) {}

  /** Adds a failure to its execution's batch; the batch goes `quietMs` after its last failure, or at `maxWaitMs`. */
  add(context: JobErrorContext, failure: AlertFailure): void {
    const key = JSON.stringify([context.jobName, context.taskId, context.fireTime, context.instanceId]);
    const now = Date.now();
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { context, failures: [], firstAt: now };
      this.pending.set(key, batch);
    }
    batch.failures.push(failure);
    clearTimeout(batch.timer);
    const delay = Math.max(0, Math.min(this.quietMs, batch.firstAt + this.maxWaitMs - now));
    batch.timer = setTimeout(() => this.release(key), delay);
    // A pending alert must not keep a process alive that has nothing else to do; shutdown sends it (`flush`).
    batch.timer.unref();
  }

  /** Sends every pending batch now. */
  flush(): void {
    for (const key of [...this.pending.keys()]) {
      this.release(key);
    }
  }

  private release(key: string): void {
    const batch = this.pending.get(key);
    if (batch) {
      clearTimeout(batch.timer);
      this.pending.delete(key);
      this.send({ context: batch.context, failures: batch.failures });
    }
  }
}
