import { Counter, Gauge, Histogram } from 'prom-client';
import { logger } from '../elastic-job.logger';
import type { MetricsRegistry } from '../interfaces';
import { InstanceSnapshot, readSnapshot } from './instance-snapshot';
import { JobLabels } from './job-labels';
import { ELASTICJOB_METRICS, ElasticJobMetricDefinition } from './metric-definitions';
import type { MetricsSources } from './metrics-sources';
import { metricReplaced } from './metrics.messages';

type Job = 'job';

/** The metric objects of one registry. */
export interface ElasticJobMetricSet {
  readonly itemRuns: Counter<Job | 'result' | 'source'>;
  readonly itemRunDuration: Histogram<Job>;
  readonly triggerLateness: Histogram<Job>;
  readonly executions: Counter<Job>;
  readonly misfireRuns: Counter<Job>;
  readonly failoverRuns: Counter<Job>;
  readonly retries: Counter<Job>;
  readonly reshards: Counter<Job>;
  readonly leaseLosses: Counter;
  readonly disconnects: Counter;
  readonly sessionExpiries: Counter;
  readonly itemsOwned: Gauge<Job>;
  readonly itemsRunning: Gauge<Job>;
  readonly jobs: Gauge<'state'>;
  readonly jobsLed: Gauge;
  readonly connected: Gauge;
  readonly leaseHeld: Gauge;
  readonly sessionRenewals: Counter;
  readonly tracingQueueDepth: Gauge;
  readonly tracingDropped: Counter;
  readonly tracingWritten: Counter;
}

const configOf = <T extends string>(definition: ElasticJobMetricDefinition) => ({
  name: definition.name,
  help: definition.help,
  labelNames: definition.labelNames as readonly T[],
  // Registered by the hub, in the registry it serves, not in prom-client's default one.
  registers: [],
});

/**
 * The module's metrics in one registry, shared by the applications that report to it (usually one; two Nest
 * applications in one process with the default registry share it rather than fail on names already registered):
 * their counts add up, their scrape-time state is summed. Registered when the first application attaches, removed
 * from the registry when the last one leaves.
 */
export class MetricsHub {
  private static readonly hubs = new WeakMap<MetricsRegistry, MetricsHub>();
  readonly metrics: ElasticJobMetricSet;
  /** The `job` labels, shared by every metric of the registry (bounded by the first application's limit). */
  readonly jobs: JobLabels;
  private readonly members = new Set<MetricsSources>();
  private cached?: InstanceSnapshot;

  private constructor(
    private readonly registry: MetricsRegistry,
    jobLabelLimit: number,
  ) {
    this.jobs = new JobLabels(jobLabelLimit);
    this.metrics = this.build();
  }

  /** The hub of `registry` (made and registered on first use), with `member` reporting to it. */
  static attach(registry: MetricsRegistry, member: MetricsSources, jobLabelLimit: number): MetricsHub {
    let hub = MetricsHub.hubs.get(registry);
    if (!hub) {
      hub = new MetricsHub(registry, jobLabelLimit);
      MetricsHub.hubs.set(registry, hub);
    }
    // Again for a hub in use: the registry may have been cleared meanwhile.
    hub.register();
    hub.members.add(member);
    return hub;
  }

  /** `member` reports no more; the last one out removes the metrics from the registry. */
  detach(member: MetricsSources): void {
    if (!this.members.delete(member) || this.members.size > 0) {
      return;
    }
    for (const metric of Object.values(this.metrics)) {
      const name = (metric as { name: string }).name;
      // Only ours: something registered under the name since is left alone.
      if (this.registry.getSingleMetric(name) === metric) {
        this.registry.removeSingleMetric(name);
      }
    }
    if (MetricsHub.hubs.get(this.registry) === this) {
      MetricsHub.hubs.delete(this.registry);
    }
  }

  private register(): void {
    for (const metric of Object.values(this.metrics)) {
      const name = (metric as { name: string }).name;
      const current = this.registry.getSingleMetric(name);
      if (current === metric) {
        continue;
      }
      if (current) {
        logger.warn(metricReplaced(name));
        this.registry.removeSingleMetric(name);
      }
      this.registry.registerMetric(metric);
    }
  }

  /**
   * The state of the members, read once per scrape: every scrape-time metric's `collect` runs in the same tick of
   * one scrape, so the snapshot is kept until the tick's microtasks have run.
   */
  private snapshot(): InstanceSnapshot {
    if (!this.cached) {
      this.cached = readSnapshot(this.members, this.jobs);
      queueMicrotask(() => (this.cached = undefined));
    }
    return this.cached;
  }

  private build(): ElasticJobMetricSet {
    const m = ELASTICJOB_METRICS;
    const snapshot = () => this.snapshot();
    const counter = (definition: ElasticJobMetricDefinition) => new Counter(configOf(definition));
    const histogram = (definition: ElasticJobMetricDefinition) =>
      new Histogram({ ...configOf(definition), buckets: [...(definition.buckets ?? [])] });
    // A value read at scrape time (a total kept elsewhere, for the counters).
    const readCounter = (definition: ElasticJobMetricDefinition, read: (state: InstanceSnapshot) => number) =>
      new Counter({
        ...configOf(definition),
        collect() {
          this.reset();
          this.inc(read(snapshot()));
        },
      });
    const readGauge = (definition: ElasticJobMetricDefinition, read: (state: InstanceSnapshot) => number) =>
      new Gauge({
        ...configOf(definition),
        collect() {
          this.set(read(snapshot()));
        },
      });
    const perJobGauge = (
      definition: ElasticJobMetricDefinition,
      read: (state: InstanceSnapshot) => Map<string, number>,
    ) =>
      new Gauge<Job>({
        ...configOf<Job>(definition),
        collect() {
          // Reset first: a job that left this instance drops out of the series.
          this.reset();
          for (const [job, value] of read(snapshot())) {
            this.set({ job }, value);
          }
        },
      });
    return {
      itemRuns: counter(m.itemRuns),
      itemRunDuration: histogram(m.itemRunDuration),
      triggerLateness: histogram(m.triggerLateness),
      executions: counter(m.executions),
      misfireRuns: counter(m.misfireRuns),
      failoverRuns: counter(m.failoverRuns),
      retries: counter(m.retries),
      reshards: counter(m.reshards),
      leaseLosses: counter(m.leaseLosses),
      disconnects: counter(m.disconnects),
      sessionExpiries: counter(m.sessionExpiries),
      itemsOwned: perJobGauge(m.itemsOwned, (state) => state.itemsOwned),
      itemsRunning: perJobGauge(m.itemsRunning, (state) => state.itemsRunning),
      jobs: new Gauge<'state'>({
        ...configOf<'state'>(m.jobs),
        collect() {
          for (const [state, count] of snapshot().jobsByState) {
            this.set({ state }, count);
          }
        },
      }),
      jobsLed: readGauge(m.jobsLed, (state) => state.jobsLed),
      connected: readGauge(m.connected, (state) => state.connected),
      leaseHeld: readGauge(m.leaseHeld, (state) => state.leaseHeld),
      sessionRenewals: readCounter(m.sessionRenewals, (state) => state.sessionRenewals),
      tracingQueueDepth: readGauge(m.tracingQueueDepth, (state) => state.tracingQueued),
      tracingDropped: readCounter(m.tracingDropped, (state) => state.tracingDropped),
      tracingWritten: readCounter(m.tracingWritten, (state) => state.tracingWritten),
    };
  }
}
