import type { TracingStats } from '../interfaces';
import { logger } from '../elastic-job.logger';
import type { TraceEvent } from './trace-rows';

/** What the queue writes its batches with. */
export type BatchWriter = (events: readonly TraceEvent[]) => Promise<void>;

export interface TraceQueueOptions {
  readonly capacity: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  /** Clock of the warnings' throttle (tests). */
  readonly now?: () => number;
}

const WARNING_INTERVAL_MS = 60_000;
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 5_000;

/**
 * The bounded queue between the fire path and PostgreSQL. `push` never waits and never throws: rows are written in
 * batches by one writer in the background, in order; a failed batch goes back to the head of the queue and is
 * written again after a back-off (its writes are idempotent). When the queue is full the oldest rows are dropped and
 * counted, with a warning at most once a minute.
 */
export class TraceQueue {
  private rows: TraceEvent[] = [];
  private head = 0;
  private writing = false;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private closing = false;
  private dropped = 0;
  private droppedSinceWarning = 0;
  private written = 0;
  private reachable = true;
  private readonly lastWarning = { write: -Infinity, drop: -Infinity };
  private readonly now: () => number;

  constructor(
    private readonly write: BatchWriter,
    private readonly options: TraceQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get stats(): TracingStats {
    return { queued: this.size, dropped: this.dropped, written: this.written, reachable: this.reachable };
  }

  get size(): number {
    return this.rows.length - this.head;
  }

  push(row: TraceEvent): void {
    if (this.size >= this.options.capacity) {
      this.dropOldest(1);
    }
    this.rows.push(row);
    this.schedule();
  }

  /** Writes what is queued, waiting up to `timeoutMs`; resolves how many rows were left unwritten. */
  async close(timeoutMs: number): Promise<number> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    const deadline = Date.now() + timeoutMs;
    while (this.size > 0 && Date.now() < deadline) {
      if (!this.writing) {
        void this.flush();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.size;
  }

  private schedule(): void {
    if (this.writing || this.timer || this.closing) {
      return;
    }
    const delay = this.size >= this.options.batchSize ? 0 : this.options.flushIntervalMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.writing) {
      return;
    }
    this.writing = true;
    let retryMs = FIRST_RETRY_MS;
    try {
      while (this.size > 0) {
        const batch = this.take(this.options.batchSize);
        try {
          await this.write(batch);
          this.written += batch.length;
          if (!this.reachable) {
            logger.log(`Tracing: PostgreSQL reached again; ${this.size} event(s) still queued`);
          }
          this.reachable = true;
          retryMs = FIRST_RETRY_MS;
        } catch (error) {
          this.putBack(batch);
          this.reachable = false;
          this.warn('write', `Tracing: could not write ${batch.length} event(s) (${String(error)}); retrying`);
          if (this.closing) {
            // At shutdown: one try per round of `close`, no back-off.
            return;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, retryMs);
            timer.unref();
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = undefined;
          retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private take(count: number): TraceEvent[] {
    const batch = this.rows.slice(this.head, this.head + count);
    this.head += batch.length;
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** A failed batch back at the head, minus the oldest rows if the queue filled meanwhile. */
  private putBack(batch: TraceEvent[]): void {
    this.rows = [...batch, ...this.rows.slice(this.head)];
    this.head = 0;
    const over = this.size - this.options.capacity;
    if (over > 0) {
      this.dropOldest(over);
    }
  }

  private dropOldest(count: number): void {
    this.head += count;
    this.dropped += count;
    this.droppedSinceWarning += count;
    this.warn(
      'drop',
      `Tracing: the queue is full (${this.options.capacity} events); ${this.droppedSinceWarning} oldest event(s) ` +
        `dropped since the last warning, ${this.dropped} in all`,
      () => (this.droppedSinceWarning = 0),
    );
  }

  /** A warning of each kind at most once a minute (the others are counted in the next one, or in `stats`). */
  private warn(kind: 'write' | 'drop', message: string, onLogged?: () => void): void {
    const now = this.now();
    if (now - this.lastWarning[kind] < WARNING_INTERVAL_MS) {
      return;
    }
    this.lastWarning[kind] = now;
    logger.warn(message);
    onLogged?.();
  }
}
