/** A Prometheus metric type, as prom-client names it. */
export type ElasticJobMetricType = 'counter' | 'gauge' | 'histogram';

/** One metric of the module: its name, type, labels and help text (histograms with their buckets, in seconds). */
export interface ElasticJobMetricDefinition {
  readonly name: string;
  readonly type: ElasticJobMetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

// Item runs last from milliseconds to an hour; lateness is small unless the process was blocked.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every metric the module exports (`elasticjob_` prefix). Labels are bounded: `job` is a job name (at most
 * `jobLabelLimit` of them, further jobs under `job="_other"`), never an item; the other labels take a few fixed values.
 * The first group is counted from the fire pipeline's events, the second read from the instance's state at scrape time.
 */
export const ELASTICJOB_METRICS = {
  itemRuns: {
    name: 'elasticjob_item_runs_total',
    type: 'counter',
    help:
      'Item run attempts that ended on this instance, by result (success, failure) and execution source ' +
      '(NORMAL_TRIGGER, MISFIRE, FAILOVER); a retried item counts each attempt (see elasticjob_retries_total)',
    labelNames: ['job', 'result', 'source'],
  },
  itemRunDuration: {
    name: 'elasticjob_item_run_duration_seconds',
    type: 'histogram',
    help: 'How long an item run attempt took, from its start to its end',
    labelNames: ['job'],
    buckets: DURATION_BUCKETS,
  },
  triggerLateness: {
    name: 'elasticjob_trigger_lateness_seconds',
    type: 'histogram',
    help: "How late an item's first attempt started after its fire time (NORMAL_TRIGGER runs only)",
    labelNames: ['job'],
    buckets: LATENESS_BUCKETS,
  },
  executions: {
    name: 'elasticjob_executions_total',
    type: 'counter',
    help: 'Executions started on this instance (one per fire that ran items here)',
    labelNames: ['job'],
  },
  misfireRuns: {
    name: 'elasticjob_misfire_runs_total',
    type: 'counter',
    help: 'Item runs started for fires that were missed (execution source MISFIRE), first attempts',
    labelNames: ['job'],
  },
  failoverRuns: {
    name: 'elasticjob_failover_runs_total',
    type: 'counter',
    help: "Item runs started to take over another instance's interrupted items (execution source FAILOVER), first attempts",
    labelNames: ['job'],
  },
  retries: {
    name: 'elasticjob_retries_total',
    type: 'counter',
    help: 'Retries of failed item runs started (attempts after the first, props retry.max.attempts)',
    labelNames: ['job'],
  },
  reshards: {
    name: 'elasticjob_reshards_total',
    type: 'counter',
    help: "New assignments of a job's items written by this instance as the job's leader",
    labelNames: ['job'],
  },
  leaseLosses: {
    name: 'elasticjob_lease_losses_total',
    type: 'counter',
    help: 'Times this instance lost its lease (ZooKeeper silent too long: it starts no item until it is back)',
    labelNames: [],
  },
  disconnects: {
    name: 'elasticjob_zookeeper_disconnects_total',
    type: 'counter',
    help: 'Times the connection to ZooKeeper was lost (the session may have survived)',
    labelNames: [],
  },
  sessionExpiries: {
    name: 'elasticjob_session_expiries_total',
    type: 'counter',
    help: 'Times the ZooKeeper session expired',
    labelNames: [],
  },
  itemsOwned: {
    name: 'elasticjob_items_owned',
    type: 'gauge',
    help: 'Items of the job assigned to this instance (disabled items excluded)',
    labelNames: ['job'],
  },
  itemsRunning: {
    name: 'elasticjob_items_running',
    type: 'gauge',
    help: 'Items of the job running on this instance now',
    labelNames: ['job'],
  },
  jobs: {
    name: 'elasticjob_jobs',
    type: 'gauge',
    help: 'Jobs of this instance by state (STARTING, RUNNING, DISABLED, RENEWING, STOPPING)',
    labelNames: ['state'],
  },
  jobsLed: {
    name: 'elasticjob_jobs_led',
    type: 'gauge',
    help: 'Jobs this instance is the leader of',
    labelNames: [],
  },
  connected: {
    name: 'elasticjob_zookeeper_connected',
    type: 'gauge',
    help: '1 when this instance is connected to ZooKeeper, else 0',
    labelNames: [],
  },
  leaseHeld: {
    name: 'elasticjob_lease_held',
    type: 'gauge',
    help: '1 when this instance holds its lease (it may start items), else 0',
    labelNames: [],
  },
  sessionRenewals: {
    name: 'elasticjob_session_renewals_total',
    type: 'counter',
    help: 'Sessions renewed since start-up (a new session replaced an expired one and the jobs registered again)',
    labelNames: [],
  },
  tracingQueueDepth: {
    name: 'elasticjob_tracing_queue_depth',
    type: 'gauge',
    help: 'Tracing events waiting to be written to PostgreSQL (0 without tracing)',
    labelNames: [],
  },
  tracingDropped: {
    name: 'elasticjob_tracing_events_dropped_total',
    type: 'counter',
    help: 'Tracing events dropped because the queue was full (0 without tracing)',
    labelNames: [],
  },
  tracingWritten: {
    name: 'elasticjob_tracing_events_written_total',
    type: 'counter',
    help: 'Tracing events written to PostgreSQL (0 without tracing)',
    labelNames: [],
  },
} as const satisfies Record<string, ElasticJobMetricDefinition>;

/** The key of a metric in `ELASTICJOB_METRICS`. */
export type ElasticJobMetricKey = keyof typeof ELASTICJOB_METRICS;
