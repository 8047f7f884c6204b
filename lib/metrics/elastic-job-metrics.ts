import { register } from 'prom-client';
import { logger } from '../elastic-job.logger';
import { ModuleOptionsError } from '../errors';
import type { JobEvent, JobEventBus, JobExecutionEvent } from '../executor';
import type { MetricsOptions, MetricsRegistry } from '../interfaces';
import type { ConnectionStateEvent } from '../registry-center';
import { DEFAULT_JOB_LABEL_LIMIT } from './job-labels';
import { MetricsHub } from './metrics-hub';
import type { MetricsSources } from './metrics-sources';
import { invalidJobLabelLimit, invalidMetricsRegistry, metricsAlreadyCollected } from './metrics.messages';

/**
 * The Prometheus metrics of one application (`elasticjob_*`, see `ELASTICJOB_METRICS`): counts what the fire pipeline
 * and the registry center report, and reads the instance's state when the registry is scraped. `start` registers the
 * metrics and subscribes; `stop` unsubscribes and removes them. One collector per application: a second one started
 * on the same event bus (the module option `metrics` and `ElasticJobMetricsModule` together) warns and stays idle.
 *
 * Subscribing makes the pipeline build its events, which puts every fire on its staged (slightly slower) path.
 */
export class ElasticJobMetrics {
  private static readonly collectors = new WeakMap<JobEventBus, ElasticJobMetrics>();
  private readonly registry: MetricsRegistry;
  private readonly jobLabelLimit: number;
  private hub?: MetricsHub;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly sources: MetricsSources,
    options: true | MetricsOptions,
  ) {
    const { registry = register, jobLabelLimit = DEFAULT_JOB_LABEL_LIMIT } = options === true ? {} : options;
    if (!Number.isInteger(jobLabelLimit) || jobLabelLimit < 0) {
      throw new ModuleOptionsError(invalidJobLabelLimit(jobLabelLimit), 'metrics.jobLabelLimit');
    }
    const methods = ['registerMetric', 'getSingleMetric', 'removeSingleMetric'] as const;
    if (methods.some((method) => typeof (registry as Partial<MetricsRegistry>)?.[method] !== 'function')) {
      throw new ModuleOptionsError(invalidMetricsRegistry(registry), 'metrics.registry');
    }
    this.registry = registry;
    this.jobLabelLimit = jobLabelLimit;
  }

  /** Whether this collector is the one counting (started, and not idle behind another). */
  get collecting(): boolean {
    return this.hub !== undefined;
  }

  /** Registers the metrics in the registry and subscribes to the sources (once; again after `stop`). */
  start(): void {
    if (this.hub) {
      return;
    }
    const { events, registry } = this.sources;
    if (ElasticJobMetrics.collectors.has(events)) {
      logger.warn(metricsAlreadyCollected());
      return;
    }
    ElasticJobMetrics.collectors.set(events, this);
    this.hub = MetricsHub.attach(this.registry, this.sources, this.jobLabelLimit);
    this.unsubscribers.push(
      events.subscribe((event) => this.onEvent(event)),
      registry.onLease((held) => {
        if (!held) {
          this.hub?.metrics.leaseLosses.inc();
        }
      }),
      registry.onConnectionState((event) => this.onConnectionState(event)),
    );
  }

  /** Unsubscribes and, when no other application reports to the registry, removes the metrics from it. */
  stop(): void {
    const hub = this.hub;
    if (!hub) {
      return;
    }
    this.hub = undefined;
    this.unsubscribers.splice(0).forEach((unsubscribe) => unsubscribe());
    hub.detach(this.sources);
    if (ElasticJobMetrics.collectors.get(this.sources.events) === this) {
      ElasticJobMetrics.collectors.delete(this.sources.events);
    }
  }

  private onEvent(event: JobEvent): void {
    const hub = this.hub;
    if (!hub) {
      return;
    }
    const job = hub.jobs.of(event.jobName);
    switch (event.kind) {
      case 'execution':
        if (event.completeTime === undefined) {
          this.onItemStart(event, job);
        } else {
          this.onItemEnd(event, job, event.completeTime);
        }
        return;
      case 'status':
        if (event.state === 'TASK_STAGING') {
          hub.metrics.executions.inc({ job });
        }
        return;
      case 'reshard':
        hub.metrics.reshards.inc({ job });
        return;
    }
  }

  private onItemStart(event: JobExecutionEvent, job: string): void {
    const metrics = this.hub!.metrics;
    if (event.attempt > 1) {
      metrics.retries.inc({ job });
      return;
    }
    switch (event.executionSource) {
      case 'NORMAL_TRIGGER':
        // Clamped: a trigger's fire time can be a little ahead when the clocks differ.
        metrics.triggerLateness.observe({ job }, Math.max(0, event.startTime - event.fireTime) / 1000);
        return;
      case 'MISFIRE':
        metrics.misfireRuns.inc({ job });
        return;
      case 'FAILOVER':
        metrics.failoverRuns.inc({ job });
        return;
    }
  }

  private onItemEnd(event: JobExecutionEvent, job: string, completeTime: number): void {
    const metrics = this.hub!.metrics;
    const result = event.success ? 'success' : 'failure';
    metrics.itemRuns.inc({ job, result, source: event.executionSource });
    metrics.itemRunDuration.observe({ job }, Math.max(0, completeTime - event.startTime) / 1000);
  }

  private onConnectionState(event: ConnectionStateEvent): void {
    const metrics = this.hub?.metrics;
    if (event.state === 'SUSPENDED') {
      metrics?.disconnects.inc();
    } else if (event.state === 'LOST') {
      metrics?.sessionExpiries.inc();
    }
  }
}
