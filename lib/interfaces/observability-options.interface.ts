/**
 * A PostgreSQL pool as `pg.Pool` has it (written here so that the package's root types need no `pg`): a `pg.Pool`
 * fits it.
 */
export interface TracingPool {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  connect(): Promise<TracingPoolClient>;
  end(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** A client checked out of a `TracingPool` (a `pg.PoolClient`). */
export interface TracingPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** Module option `tracing`: execution history in PostgreSQL, in ElasticJob's tables (README, "Tracing"). */
export interface TracingOptions {
  /** `RDB`, ElasticJob's name (a relational database: PostgreSQL, through `pg`). */
  type: 'RDB';
  /**
   * A `pg.Pool` (the application's: it is not ended at shutdown), a `pg.PoolConfig`, or a connection string
   * (`postgres://user@host:5432/db`): then the module makes the pool and ends it.
   */
  dataSource: TracingPool | Record<string, unknown> | string;
  /** Rows older than this many days are deleted once a day, by one instance. `0`: never. Default: `30`. */
  retentionDays?: number;
  /** Events waiting to be written, at most (then the oldest are dropped and counted). Default: `10000`. */
  queueCapacity?: number;
  /** Events written in one statement, at most. Default: `500`. */
  batchSize?: number;
  /** How long an event may wait for its batch. Default: `200`. */
  flushIntervalMilliseconds?: number;
}

/** A prom-client `Registry` as the module uses it (so that the root types need no `prom-client`). */
export interface MetricsRegistry {
  registerMetric(metric: any): void;
  getSingleMetric(name: string): any;
  removeSingleMetric(name: string): void;
}

/** Module option `metrics` (prom-client): `true` for prom-client's default registry. */
export interface MetricsOptions {
  /** The registry the metrics are registered in. Default: prom-client's default `register`. */
  registry?: MetricsRegistry;
  /** Distinct job names labelled, at most; further jobs are counted under `job="_other"`. Default: `1000`. */
  jobLabelLimit?: number;
}

/** The tracing queue's counters (metrics and health). */
export interface TracingStats {
  /** Events waiting to be written. */
  readonly queued: number;
  /** Events dropped since start-up because the queue was full. */
  readonly dropped: number;
  /** Events written since start-up. */
  readonly written: number;
  /** Whether the last write reached PostgreSQL. */
  readonly reachable: boolean;
}
