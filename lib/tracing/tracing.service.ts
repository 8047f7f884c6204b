import type { JobEvent, JobEventBus } from '../executor';
import type { TracingOptions, TracingPool, TracingStats } from '../interfaces';
import { logger } from '../elastic-job.logger';
import { stripUndefined } from '../utils';
import { RdbEventStorage } from './rdb-event.storage';
import { RetentionLatch } from './retention.latch';
import { TraceQueue } from './trace-queue';

/** The defaults of the `tracing` option. */
export const TRACING_DEFAULTS = {
  retentionDays: 30,
  queueCapacity: 10_000,
  batchSize: 500,
  flushIntervalMilliseconds: 200,
} as const;

/** How long shutdown waits for queued events to be written. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Execution tracing in PostgreSQL: subscribes to the fire pipeline's events and writes them, through a bounded
 * queue, to ElasticJob's two tables; keeps the retention. Never slows or fails a job: the subscriber only queues.
 */
export class TracingService {
  readonly storage: RdbEventStorage;
  private readonly queue: TraceQueue;
  private readonly retention?: RetentionLatch;
  private unsubscribe?: () => void;

  constructor(
    readonly pool: TracingPool,
    private readonly ownsPool: boolean,
    options: TracingOptions,
  ) {
    const settings = { ...TRACING_DEFAULTS, ...stripUndefined(options) };
    this.storage = new RdbEventStorage(pool);
    this.queue = new TraceQueue((events) => this.storage.write(events), {
      capacity: settings.queueCapacity,
      batchSize: settings.batchSize,
      flushIntervalMs: settings.flushIntervalMilliseconds,
    });
    if (settings.retentionDays > 0) {
      this.retention = new RetentionLatch(pool, this.storage, settings.retentionDays);
    }
  }

  /** Makes the pool from the option (`pg` is loaded only then) or takes the application's. */
  static create(options: TracingOptions): TracingService {
    const { dataSource } = options;
    if (isPool(dataSource)) {
      return new TracingService(dataSource, false, options);
    }
    const pg = loadPg();
    const config = typeof dataSource === 'string' ? { connectionString: dataSource } : dataSource;
    const pool: TracingPool = new pg.Pool({ max: 4, connectionTimeoutMillis: 5_000, query_timeout: 15_000, ...config });
    // An idle connection that breaks (PostgreSQL restarted) is reported here instead of ending the process.
    pool.on?.('error', (error) => logger.warn(`Tracing: a PostgreSQL connection broke: ${error.message}`));
    return new TracingService(pool, true, options);
  }

  get stats(): TracingStats {
    return this.queue.stats;
  }

  /** Whether this instance holds the retention's latch. */
  get retentionHeld(): boolean {
    return this.retention?.held ?? false;
  }

  start(events: JobEventBus): void {
    this.unsubscribe = events.subscribe((event) => this.onEvent(event));
    // Tables first, at once: a database out of reach is warned of now, and the rows wait in the queue.
    this.storage.ready().catch((error) => logger.warn(`Tracing: PostgreSQL not reached yet (${error}); events queue`));
    this.retention?.start();
  }

  /** Stops listening, writes what is queued (for up to 5 s), and ends the pool if the module made it. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    const left = await this.queue.close(CLOSE_TIMEOUT_MS);
    if (left > 0) {
      logger.warn(`Tracing: ${left} event(s) not written at shutdown (PostgreSQL out of reach)`);
    }
    await this.retention?.close();
    if (this.ownsPool) {
      await this.pool.end().catch(() => undefined);
    }
  }

  /** Only queues (the rows are built by the writer, off the fire path). */
  private onEvent(event: JobEvent): void {
    if (event.kind !== 'reshard') {
      this.queue.push(event);
    }
  }
}

function isPool(dataSource: TracingOptions['dataSource']): dataSource is TracingPool {
  return (
    typeof dataSource === 'object' &&
    dataSource !== null &&
    typeof (dataSource as TracingPool).query === 'function' &&
    typeof (dataSource as TracingPool).connect === 'function'
  );
}

function loadPg(): { Pool: new (config: Record<string, unknown>) => TracingPool } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pg');
  } catch (error) {
    throw new Error(
      `The tracing option needs the package "pg" (npm install pg), or a pool of your own as tracing.dataSource: ${
        (error as Error).message
      }`,
    );
  }
}
