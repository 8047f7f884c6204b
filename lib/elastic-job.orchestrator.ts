import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { closeAlertHandlers } from './alerts';
import { CLOCK_CHECK_INTERVAL_MS } from './clock';
import { coerceJobEntry, resolveJobConfiguration } from './config';
import { logger } from './elastic-job.logger';
import { duplicateJobName, handlerAndJobType, invalidJobField, missingJobHandler } from './elastic-job.messages';
import { ElasticJobRuntime } from './elastic-job.runtime';
import { JobConfigurationError, ModuleOptionsError } from './errors';
import { CONFIGURED_JOB_TYPES, configuredJobExecutor, JobItemExecutor } from './executor';
import {
  ConfiguredJobType,
  ElasticJobListener,
  InstanceStatus,
  JobConfiguration,
  JobOverride,
  ResolvedJobConfiguration,
} from './interfaces';
import type { MetricsSources } from './metrics/metrics-sources';
import { RegistryCenter } from './registry-center';
import { JobScheduler, JobSchedulerContext } from './schedule';
import { mapConcurrently } from './utils';

/** A job found by the explorer, declared by configuration, or added at runtime. */
export interface DeclaredJob {
  config: JobConfiguration;
  /** How its items run (its job type with its handler); made from the configuration for script and HTTP jobs. */
  itemExecutor: JobItemExecutor | ConfiguredJobType;
  /** Where it was declared, for error messages (`Class.method`, `jobs.{name}`). */
  source: string;
}

// Jobs registered in parallel at start-up; bounded so that 10,000 jobs do not flood ZooKeeper.
const START_CONCURRENCY = 256;
// How often the jobs look whether their reconcile is due, and the clock is measured again when a job checks it.
const HOUSEKEEPING_INTERVAL_MS = CLOCK_CHECK_INTERVAL_MS;

/**
 * Stores the jobs of one application and mounts them with its lifecycle (as `@nestjs/schedule`'s orchestrator
 * does): validates them, connects the registry center, starts each job's scheduler, stops and closes them. If the
 * module is imported more than once, the first orchestrator of the application is the primary and the others delegate
 * to it, so that no job ever runs twice in one process.
 */
@Injectable()
export class ElasticJobOrchestrator
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private static readonly primaries = new WeakMap<object, ElasticJobOrchestrator>();
  readonly primary: ElasticJobOrchestrator;
  private readonly jobs = new Map<string, { scheduler: JobScheduler; source: string }>();
  // What every job's scheduler shares (built with the first job).
  private context?: JobSchedulerContext;
  private started = false;
  private housekeeping?: NodeJS.Timeout;
  private readonly unsubscribers: Array<() => void> = [];
  private sessionRenewals = 0;
  private metrics?: { stop(): void };

  constructor(
    readonly runtime: ElasticJobRuntime,
    modules: ModulesContainer,
  ) {
    const primary = ElasticJobOrchestrator.primaries.get(modules);
    this.primary = primary ?? this;
    if (!primary) {
      ElasticJobOrchestrator.primaries.set(modules, this);
    }
  }

  get isPrimary(): boolean {
    return this.primary === this;
  }

  /** The registry center of this application (the primary's). */
  get registry(): RegistryCenter {
    return this.primary.runtime.registry;
  }

  /** Records the application's listeners (`@JobListener` providers); throws on two of one type. */
  declareListeners(found: Array<{ type: string; listener: ElasticJobListener; source: string }>): void {
    const sources = new Map<string, string>();
    for (const { type, listener, source } of found) {
      const first = sources.get(type);
      if (first !== undefined) {
        throw new ModuleOptionsError(
          `@JobListener(${JSON.stringify(type)}): declared by ${first} and by ${source}; listener types must be unique`,
          'jobListenerTypes',
        );
      }
      sources.set(type, source);
      this.runtime.listeners.set(type, listener);
    }
  }

  /**
   * Validates and records the decorated jobs, then the jobs the module option `jobs` declares alone (script and HTTP
   * jobs); throws on the first invalid one.
   */
  declare(jobs: DeclaredJob[]): void {
    for (const job of jobs) {
      this.addDeclared(job);
    }
    for (const [name, entry] of Object.entries(this.runtime.options.jobs ?? {})) {
      const type = entry?.elasticJobType;
      const declared = this.jobs.get(name);
      if (declared && type !== undefined) {
        throw new JobConfigurationError(handlerAndJobType(name, declared.source, type), name, 'elasticJobType');
      }
      if (!declared) {
        if (type === undefined) {
          throw new JobConfigurationError(missingJobHandler(name), name, 'handler');
        }
        this.addDeclared({ config: { name } as JobConfiguration, itemExecutor: type, source: `jobs.${name}` });
      }
    }
  }

  getJobNames(): string[] {
    return [...this.primary.jobs.keys()];
  }

  getJob(name: string): JobScheduler | undefined {
    return this.primary.jobs.get(name)?.scheduler;
  }

  /** Adds a job at runtime; it starts at once when the application has started. */
  /** This instance's state and its jobs' (`InstanceStatusApi`). */
  status(): InstanceStatus {
    const primary = this.primary;
    const registry = primary.registry;
    const jobs = [...primary.jobs.values()].map((entry) => entry.scheduler.status());
    return {
      instanceId: primary.runtime.identity.instanceId,
      connected: primary.started && registry.isConnected(),
      leaseHeld: primary.started && registry.hasLease(),
      renewingSession: jobs.some((job) => job.state === 'RENEWING'),
      sessionRenewals: primary.sessionRenewals,
      jobs,
    };
  }

  async addJob(job: DeclaredJob): Promise<void> {
    const primary = this.primary;
    const scheduler = primary.addDeclared(job);
    if (primary.started) {
      try {
        await scheduler.start();
      } catch (error) {
        primary.jobs.delete(scheduler.name);
        throw error;
      }
    }
  }

  /**
   * Stops a job on this instance and removes this instance's nodes of it (instance, trigger, running markers, and the
   * server node when no other instance of this server runs it); its configuration stays in the registry.
   */
  async removeJob(name: string): Promise<boolean> {
    const primary = this.primary;
    const scheduler = await primary.endJob(name);
    if (scheduler && primary.started) {
      await scheduler
        .removeServerIfLast()
        .catch((error) => logger.warn(`Job "${name}": could not remove its server node: ${error}`));
    }
    return scheduler !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.isPrimary) {
      logger.warn('ElasticJobModule is imported more than once; the first configuration is used');
      return;
    }
    const registry = this.registry;
    const { runtime } = this;
    // Before the first fire, so that it is traced and counted.
    runtime.tracing?.start(runtime.events);
    this.startMetrics();
    await registry.connect();
    this.started = true;
    this.unsubscribers.push(
      registry.onLease((held) => this.jobs.forEach((entry) => entry.scheduler.onLease(held))),
      registry.onConnectionState((event) => {
        if (event.state === 'RECONNECTED' && event.newSession) {
          this.sessionRenewals++;
          for (const { scheduler } of this.jobs.values()) {
            scheduler
              .onSessionRenewed()
              .catch((error) => logger.warn(`Job "${scheduler.name}": re-registration failed: ${error}`));
          }
        }
      }),
    );
    const schedulers = [...this.jobs.values()].map((entry) => entry.scheduler);
    await mapConcurrently(schedulers, START_CONCURRENCY, (scheduler) => scheduler.start());
    this.runtime.timer.start();
    this.housekeeping = setInterval(() => this.houseKeep(), HOUSEKEEPING_INTERVAL_MS);
    this.housekeeping.unref();
    logger.log(`Started ${schedulers.length} job(s) as instance ${this.runtime.identity.instanceId}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.isPrimary) {
      return;
    }
    clearInterval(this.housekeeping);
    // The timer goes on while the jobs hand over (each keeps firing until the others have resharded without it).
    const grace = this.runtime.options.shutdownGracePeriodMilliseconds;
    await Promise.all([...this.jobs.values()].map((entry) => entry.scheduler.stop(grace)));
    this.runtime.timer.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.isPrimary) {
      return;
    }
    this.started = false;
    this.unsubscribers.splice(0).forEach((unsubscribe) => unsubscribe());
    await Promise.all([...this.jobs.values()].map((entry) => entry.scheduler.closeItemExecutor()));
    // Alerts still waiting to be sent go out now, then their connections close; so do traced events.
    await Promise.all([closeAlertHandlers(this.runtime.errorHandlers.values()), this.runtime.tracing?.close()]);
    this.metrics?.stop();
    this.metrics = undefined;
    // Closing the session removes every ephemeral node of this instance at once (instances, running markers), so
    // the other instances see it leave in one step; no node-by-node removal is needed.
    if (this.runtime.hasRegistry) {
      await this.registry.close();
    }
    this.runtime.releaseIdentity();
  }

  /** What the metrics read of this application (the option's collector, and `ElasticJobMetricsModule`'s). */
  metricsSources(): MetricsSources {
    const { runtime } = this.primary;
    return {
      events: runtime.events,
      // Read when the collector starts: the registry center is built on first use.
      get registry() {
        return runtime.registry;
      },
      status: () => this.status(),
      tracing: () => runtime.tracingStats(),
    };
  }

  /** Metrics (option `metrics`): `prom-client` is loaded only then. */
  private startMetrics(): void {
    const { runtime } = this;
    const options = runtime.options.metrics;
    if (!options) {
      return;
    }
    let metrics: typeof import('./metrics/elastic-job-metrics');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      metrics = require('./metrics/elastic-job-metrics');
    } catch (error) {
      throw new ModuleOptionsError(
        `The metrics option needs the package "prom-client" (npm install prom-client): ${(error as Error).message}`,
        'metrics',
      );
    }
    const collector = new metrics.ElasticJobMetrics(this.metricsSources(), options);
    collector.start();
    this.metrics = collector;
  }

  /** Stops a job and forgets it (its server node stays: `JobOperateApi.shutdown`, or the first step of `removeJob`). */
  private async endJob(name: string): Promise<JobScheduler | undefined> {
    const entry = this.jobs.get(name);
    if (!entry) {
      return undefined;
    }
    this.jobs.delete(name);
    await entry.scheduler.stop(this.runtime.options.shutdownGracePeriodMilliseconds);
    await entry.scheduler.close();
    return entry.scheduler;
  }

  private addDeclared(job: DeclaredJob): JobScheduler {
    const { runtime } = this;
    const name = job.config?.name;
    const { elasticJobType: _declaredType, ...override }: JobOverride = coerceJobEntry(
      (name && runtime.options.jobs?.[name]) || {},
    );
    const config = resolveJobConfiguration({ ...job.config, ...override, name }, runtime.knownTypes);
    const existing = this.jobs.get(config.name);
    if (existing) {
      throw new JobConfigurationError(duplicateJobName(config.name, existing.source, job.source), config.name, 'name');
    }
    const unknownListener = config.jobListenerTypes.find((type) => !runtime.listeners.has(type));
    if (unknownListener !== undefined) {
      const known = [...runtime.listeners.keys()];
      throw new JobConfigurationError(
        invalidJobField(
          config.name,
          'jobListenerTypes',
          config.jobListenerTypes,
          `no listener of type ${JSON.stringify(unknownListener)} (declare a provider with @JobListener(${JSON.stringify(unknownListener)}); known: ${known.join(', ') || 'none'})`,
        ),
        config.name,
        'jobListenerTypes',
      );
    }
    runtime.errorHandlers.get(config.jobErrorHandlerType)?.checkProps?.(config.name, config.props);
    const itemExecutor = typeof job.itemExecutor === 'string' ? configured(config, job.itemExecutor) : job.itemExecutor;
    this.context ??= runtime.schedulerContext(
      (jobName) =>
        void this.endJob(jobName).catch((error) => logger.warn(`Job "${jobName}": shutdown failed: ${error}`)),
    );
    const scheduler = new JobScheduler(this.context, config, itemExecutor);
    this.jobs.set(config.name, { scheduler, source: job.source });
    return scheduler;
  }

  /** Every minute: reconciles that are due, and a new clock measurement if a job checks the clock. */
  private houseKeep(): void {
    const now = Date.now();
    let clockChecked: string | undefined;
    for (const { scheduler } of this.jobs.values()) {
      scheduler.reconcileIfDue(now);
      if (clockChecked === undefined && scheduler.configuration.maxTimeDiffSeconds >= 0) {
        clockChecked = scheduler.name;
      }
    }
    if (clockChecked !== undefined) {
      this.runtime.measureClock(clockChecked)?.catch((error) => logger.warn(`Clock check failed: ${error}`));
    }
  }
}

/** The item executor of a script or HTTP job, its type checked. */
function configured(config: ResolvedJobConfiguration, type: unknown): JobItemExecutor {
  if (!CONFIGURED_JOB_TYPES.includes(type as ConfiguredJobType)) {
    throw new JobConfigurationError(
      invalidJobField(config.name, 'elasticJobType', type, `expected one of ${CONFIGURED_JOB_TYPES.join(', ')}`),
      config.name,
      'elasticJobType',
    );
  }
  return configuredJobExecutor(type as ConfiguredJobType, config);
}
