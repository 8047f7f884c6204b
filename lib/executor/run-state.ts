import { STREAMING_PROCESS_PROP } from '../elastic-job.constants';
import type { ExecutionSource, ResolvedJobConfiguration } from '../interfaces';
import type { JobFacade, RunClaim } from './job-facade';
import type { AbortRegistry, ItemShardingContext } from './sharding-context';

/** Who frees an item locally when its run is over here (the executor). */
export interface ItemOwner {
  release(item: number): void;
}

/**
 * What one job runs on this instance now, shared by the executor's parts: the running items and the markers of their
 * runs, the contexts that can be aborted, the writes of markers in flight, and whether the job stops or leaves.
 */
export class RunState implements AbortRegistry {
  readonly abortable = new Set<ItemShardingContext>();
  abortReason: unknown = undefined;
  readonly running = new Set<number>();
  // The marker of each running item's run (with `monitorExecution`).
  claims?: Map<number, RunClaim>;
  // Items whose run this instance aborted (lost lease, shutdown): if it ends in failure, it goes to failover.
  interrupted?: Set<number>;
  // Marker writes in flight (these are made on first use: thousands of jobs mostly never need them).
  starting?: Set<Promise<unknown>>;
  stopped = false;
  leaving = false;
  // The last execution started here and the last item that failed here (for health reports; no allocation per fire).
  lastFireTime = 0;
  lastStartTime = 0;
  lastSource: ExecutionSource = 'NORMAL_TRIGGER';
  lastFailure?: { readonly time: number; readonly item: number; readonly message: string };
  private readonly idle: Array<() => void> = [];
  // Executions with hooks whose after-hooks have not ended (made on first use).
  private settling?: Set<Promise<unknown>>;
  // Retries waiting out their backoff, woken early when the job stops or its runs are aborted.
  private backoffs?: Set<() => void>;

  constructor(private readonly facade: JobFacade) {}

  isCurrent(item: number): boolean {
    return !this.stopped && this.facade.localItems().includes(item);
  }

  isStreaming(): boolean {
    return this.facade.config.props[STREAMING_PROCESS_PROP] === 'true';
  }

  configuration(): ResolvedJobConfiguration {
    return this.facade.config;
  }

  /** Whether items run here or are about to (their markers are being written). */
  get busy(): boolean {
    return this.running.size > 0 || (this.starting?.size ?? 0) > 0;
  }

  setClaim(claim: RunClaim): void {
    (this.claims ??= new Map()).set(claim.item, claim);
  }

  /** The claim of the item's run, removed. */
  takeClaim(item: number): RunClaim | undefined {
    const claim = this.claims?.get(item);
    if (claim) {
      this.claims!.delete(item);
    }
    return claim;
  }

  /** Follows an execution until its after-hooks have ended. */
  track(execution: Promise<unknown>): void {
    const settling = (this.settling ??= new Set());
    const done = () => settling.delete(execution);
    settling.add(execution);
    execution.then(done, done);
  }

  /** Resolves once the tracked executions have ended, or after `timeoutMs`. */
  async waitSettled(timeoutMs: number): Promise<void> {
    if (!this.settling?.size) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.settling]),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Stops accepting runs; retries waiting for their backoff give up at once. */
  stop(): void {
    this.stopped = true;
    this.wakeBackoffs();
  }

  /** Resolves after `ms`, or at once when the job stops or its runs are aborted (a retry then does not happen). */
  backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.backoffs?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      (this.backoffs ??= new Set()).add(wake);
    });
  }

  /** Aborts the `signal` of every running item; those that then fail count as interrupted (failover). */
  abortRunning(reason: Error): void {
    this.abortReason = reason;
    this.wakeBackoffs();
    for (const context of this.abortable) {
      if (context.abort(reason)) {
        (this.interrupted ??= new Set()).add(context.shardingItem);
      }
    }
  }

  private wakeBackoffs(): void {
    if (this.backoffs?.size) {
      [...this.backoffs].forEach((wake) => wake());
    }
  }

  /** Whether the item's run was aborted here (once: the mark is taken). */
  takeInterrupted(item: number): boolean {
    return this.interrupted?.delete(item) ?? false;
  }

  /** Resolves `true` once no item runs here, or `false` after `timeoutMs`. */
  async waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) {
      return true;
    }
    const idle = new Promise<boolean>((resolve) => this.idle.push(() => resolve(true)));
    if (timeoutMs === Infinity) {
      return idle;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const outcome = await Promise.race([idle, timedOut]);
    clearTimeout(timer);
    return outcome;
  }

  /** No item runs here any more: wakes those waiting for it. */
  onIdle(): void {
    if (this.idle.length > 0) {
      this.idle.splice(0).forEach((resolve) => resolve());
    }
  }
}
