import type { TracingPool, TracingPoolClient } from '../interfaces';
import { logger } from '../elastic-job.logger';
import { RETENTION_LOCK_KEY } from './rdb-schema';
import type { RdbEventStorage } from './rdb-event.storage';

const DAY_MS = 24 * 3_600_000;
/** How often an instance that does not hold the latch tries to take it (its holder may have gone). */
const TAKE_INTERVAL_MS = 5 * 60_000;
const DELETE_CHUNK = 10_000;

/**
 * The daily deletion of rows older than `retentionDays`, by one instance of all those writing to the database: the
 * one holding a session-level advisory lock on a connection of its own. When that instance goes (or its connection
 * breaks) PostgreSQL frees the lock, and another instance takes it within `TAKE_INTERVAL_MS`.
 */
export class RetentionLatch {
  private client?: TracingPoolClient;
  private timer?: NodeJS.Timeout;
  private purging?: Promise<void>;
  private closed = false;

  constructor(
    private readonly pool: TracingPool,
    private readonly storage: RdbEventStorage,
    private readonly retentionDays: number,
  ) {}

  /** Whether this instance holds the latch (it deletes). */
  get held(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    void this.tryTake();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.purging?.catch(() => undefined);
    this.free();
  }

  private async tryTake(): Promise<void> {
    if (this.closed) {
      return;
    }
    try {
      await this.storage.ready();
      const client = await this.pool.connect();
      let taken = false;
      try {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS taken', [RETENTION_LOCK_KEY]);
        taken = rows[0]?.taken === true;
      } finally {
        if (!taken) {
          client.release();
        }
      }
      if (taken && !this.closed) {
        this.client = client;
        // A held connection that breaks (PostgreSQL restarted) frees the lock: take it again later.
        client.on?.('error', (error) => {
          if (this.client === client) {
            logger.warn(`Tracing: the retention's connection broke: ${error.message}`);
            this.free(error);
            clearTimeout(this.timer);
            this.later(TAKE_INTERVAL_MS, () => this.tryTake());
          }
        });
        this.later(0);
        return;
      }
      if (taken) {
        client.release(true);
      }
    } catch (error) {
      logger.warn(`Tracing: the retention could not check its latch: ${error}`);
    }
    this.later(TAKE_INTERVAL_MS, () => this.tryTake());
  }

  private later(delayMs: number, step: () => Promise<void> = () => this.purge()): void {
    if (this.closed) {
      return;
    }
    this.timer = setTimeout(() => void step(), delayMs);
    this.timer.unref();
  }

  /** Deletes the old rows in chunks (short transactions), then again a day later. */
  private async purge(): Promise<void> {
    const client = this.client;
    if (!client) {
      return this.tryTake();
    }
    const before = new Date(Date.now() - this.retentionDays * DAY_MS);
    const run = async () => {
      let deleted = 0;
      for (const [table, column] of [
        ['JOB_EXECUTION_LOG', 'start_time'],
        ['JOB_STATUS_TRACE_LOG', 'creation_time'],
      ]) {
        for (;;) {
          const { rowCount } = await client.query(
            `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${column} < $1 LIMIT ${DELETE_CHUNK})`,
            [before],
          );
          deleted += rowCount ?? 0;
          if ((rowCount ?? 0) < DELETE_CHUNK || this.closed) {
            break;
          }
        }
      }
      if (deleted > 0) {
        logger.log(`Tracing: deleted ${deleted} row(s) older than ${this.retentionDays} day(s)`);
      }
    };
    this.purging = run();
    try {
      await this.purging;
      this.later(DAY_MS);
    } catch (error) {
      // The connection broke (and with it the lock): take the latch again, here or elsewhere.
      logger.warn(`Tracing: the retention failed: ${error}`);
      this.free(error as Error);
      this.later(TAKE_INTERVAL_MS, () => this.tryTake());
    } finally {
      this.purging = undefined;
    }
  }

  private free(error?: Error): void {
    const client = this.client;
    this.client = undefined;
    // Destroyed rather than returned to the pool: its session holds the lock.
    client?.release(error ?? true);
  }
}
