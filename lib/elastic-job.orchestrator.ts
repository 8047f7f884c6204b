import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { JobScheduler, JobSchedulerContext } from './schedule';
import { KnownTypes, resolveJobConfiguration } from './config';
import { CLOCK_CHECK_INTERVAL_MS, ClockService } from './clock';
import { InstanceIdentity, releaseInstanceIdentity, resolveInstanceIdentity } from './instance';
import { ELASTIC_JOB_MODULE_OPTIONS, LOGGER_CONTEXT } from './elastic-job.constants';
import { duplicateJobName, missingJobHandler } from './elastic-job.messages';
import { resolveModuleOptions, ResolvedModuleOptions } from './elastic-job.options';
import { JobConfigurationError } from './errors';
import { buildErrorHandlers, JobHandler } from './executor';
import { ElasticJobModuleOptions, JobConfiguration, JobErrorHandler } from './interfaces';
import { RegistryCenter, ZookeeperRegistryCenter } from './registry-center';
import { BUILT_IN_SHARDING_STRATEGIES, JobShardingStrategy } from './sharding';
import { CronTimer } from './cron';
import { mapConcurrently } from './utils';

/** A job found by the explorer or added at runtime. */
export interface DeclaredJob {
  config: JobConfiguration;
  handler: JobHandler;
  /** Where it was declared, for error messages (`Class.method`). */
  source: string;
}

// Jobs registered in parallel at start-up; bounded so that 10,000 jobs do not flood ZooKeeper.
const START_CONCURRENCY = 256;
// How often the jobs look whether their reconcile is due, and the clock is measured again when a job checks it.
const HOUSEKEEPING_INTERVAL_MS = CLOCK_CHECK_INTERVAL_MS;

/**
 * Owns the jobs of one application: validates them, connects the registry center, starts and stops them with the
 * application's lifecycle. If the module is imported more than once, the first orchestrator of the application is
 * the primary and the others delegate to it, so that no job ever runs twice in one process.
 */
@Injectable()
export class ElasticJobOrchestrator
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private static readonly primaries = new WeakMap<object, ElasticJobOrchestrator>();
  private readonly logger = new Logger(LOGGER_CONTEXT);
  readonly primary: ElasticJobOrchestrator;
  readonly options: ResolvedModuleOptions;
  private readonly jobs = new Map<string, { bootstrap: JobScheduler; source: string }>();
  private readonly errorHandlers: Map<string, JobErrorHandler>;
  private readonly shardingStrategies: Map<string, JobShardingStrategy>;
  /** Error handler and sharding strategy types this application knows (built-in and custom). */
  readonly knownTypes: KnownTypes;
  private readonly scheduler = new CronTimer();
  private registryCenter?: ZookeeperRegistryCenter;
  private clock?: ClockService;
  private identity?: InstanceIdentity;
  private started = false;
  private housekeeping?: NodeJS.Timeout;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(@Inject(ELASTIC_JOB_MODULE_OPTIONS) options: ElasticJobModuleOptions, modules: ModulesContainer) {
    this.options = resolveModuleOptions(options);
    this.errorHandlers = buildErrorHandlers(this.options.errorHandlers);
    this.shardingStrategies = new Map(
      [...BUILT_IN_SHARDING_STRATEGIES, ...(this.options.shardingStrategies ?? [])].map((strategy) => [
        strategy.type,
        strategy,
      ]),
    );
    this.knownTypes = {
      errorHandlerTypes: [...this.errorHandlers.keys()],
      shardingStrategyTypes: [...this.shardingStrategies.keys()],
    };
    const primary = ElasticJobOrchestrator.primaries.get(modules);
    this.primary = primary ?? this;
    if (!primary) {
      ElasticJobOrchestrator.primaries.set(modules, this);
    }
  }

  get isPrimary(): boolean {
    return this.primary === this;
  }

  /** The registry center of this application (created lazily, connected at bootstrap). */
  get registry(): RegistryCenter {
    const primary = this.primary;
    primary.registryCenter ??= new ZookeeperRegistryCenter(primary.options.registryCenter);
    return primary.registryCenter;
  }

  /** Validates and records the decorated jobs; throws on the first invalid one. */
  declare(jobs: DeclaredJob[]): void {
    for (const job of jobs) {
      this.addDeclared(job);
    }
    for (const name of Object.keys(this.options.jobs ?? {})) {
      if (!this.jobs.has(name)) {
        throw new JobConfigurationError(missingJobHandler(name), name, 'handler');
      }
    }
  }

  getJobNames(): string[] {
    return [...this.primary.jobs.keys()];
  }

  getJob(name: string): JobScheduler | undefined {
    return this.primary.jobs.get(name)?.bootstrap;
  }

  /** Adds a job at runtime; it starts at once when the application has started. */
  async addJob(job: DeclaredJob): Promise<void> {
    const primary = this.primary;
    const bootstrap = primary.addDeclared(job);
    if (primary.started) {
      try {
        await bootstrap.start();
      } catch (error) {
        primary.jobs.delete(bootstrap.name);
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
    const entry = await primary.endJob(name);
    if (entry && primary.started) {
      await entry.bootstrap
        .removeServerIfLast()
        .catch((error) => primary.logger.warn(`Job "${name}": could not remove its server node: ${error}`));
    }
    return entry !== undefined;
  }

  /** Stops a job and forgets it (its server node stays: `JobOperateApi.shutdown`, or the first step of `removeJob`). */
  private async endJob(name: string): Promise<{ bootstrap: JobScheduler } | undefined> {
    const entry = this.jobs.get(name);
    if (!entry) {
      return undefined;
    }
    this.jobs.delete(name);
    await entry.bootstrap.stop(this.options.shutdownGracePeriodMilliseconds);
    await entry.bootstrap.close();
    return entry;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.isPrimary) {
      this.logger.warn('ElasticJobModule is imported more than once; the first configuration is used');
      return;
    }
    const registry = this.registry;
    await registry.connect();
    this.started = true;
    this.unsubscribers.push(
      registry.onLease((held) => this.jobs.forEach((entry) => entry.bootstrap.onLease(held))),
      registry.onConnectionState((event) => {
        if (event.state === 'RECONNECTED' && event.newSession) {
          for (const { bootstrap } of this.jobs.values()) {
            bootstrap
              .onSessionRenewed()
              .catch((error) => this.logger.warn(`Job "${bootstrap.name}": re-registration failed: ${error}`));
          }
        }
      }),
    );
    const bootstraps = [...this.jobs.values()].map((entry) => entry.bootstrap);
    await mapConcurrently(bootstraps, START_CONCURRENCY, (bootstrap) => bootstrap.start());
    this.scheduler.start();
    this.housekeeping = setInterval(() => this.houseKeep(), HOUSEKEEPING_INTERVAL_MS);
    this.housekeeping.unref();
    this.logger.log(`Started ${bootstraps.length} job(s) as instance ${this.bootstrapContext().identity.instanceId}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.isPrimary) {
      return;
    }
    clearInterval(this.housekeeping);
    // The timer goes on while the jobs hand over (each keeps firing until the others have resharded without it).
    await Promise.all(
      [...this.jobs.values()].map((entry) => entry.bootstrap.stop(this.options.shutdownGracePeriodMilliseconds)),
    );
    this.scheduler.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.isPrimary) {
      return;
    }
    this.started = false;
    this.unsubscribers.splice(0).forEach((unsubscribe) => unsubscribe());
    // Closing the session removes every ephemeral node of this instance at once (instances, running markers), so
    // the other instances see it leave in one step; no node-by-node removal is needed.
    await this.registryCenter?.close();
    if (this.identity) {
      releaseInstanceIdentity(this.registry.namespace, this.identity);
    }
  }

  private addDeclared(job: DeclaredJob): JobScheduler {
    const name = job.config?.name;
    const override = (name && this.options.jobs?.[name]) || {};
    const config = resolveJobConfiguration({ ...job.config, ...override, name }, this.knownTypes);
    const existing = this.jobs.get(config.name);
    if (existing) {
      throw new JobConfigurationError(duplicateJobName(config.name, existing.source, job.source), config.name, 'name');
    }
    const bootstrap = new JobScheduler(this.bootstrapContext(), config, job.handler);
    this.jobs.set(config.name, { bootstrap, source: job.source });
    return bootstrap;
  }

  /** Every minute: reconciles that are due, and a new clock measurement if a job checks the clock. */
  private houseKeep(): void {
    const now = Date.now();
    let clockChecked = false;
    for (const { bootstrap } of this.jobs.values()) {
      bootstrap.reconcileIfDue(now);
      clockChecked ||= bootstrap.configuration.maxTimeDiffSeconds >= 0;
    }
    if (clockChecked) {
      this.clock?.currentOffset().catch((error) => this.logger.warn(`Clock check failed: ${error}`));
    }
  }

  private bootstrapContext(): JobSchedulerContext {
    this.identity ??= resolveInstanceIdentity(this.registry.namespace, this.options.instanceId);
    this.clock ??= new ClockService(this.registry);
    return {
      clock: this.clock,
      registry: this.registry,
      scheduler: this.scheduler,
      identity: this.identity,
      errorHandlers: this.errorHandlers,
      shardingStrategies: this.shardingStrategies,
      knownTypes: this.knownTypes,
      serverRetention: {
        enabledMs: this.options.staleServerGraceMilliseconds,
        disabledMs: this.options.disabledServerGraceMilliseconds,
      },
      shutDown: (name) =>
        void this.endJob(name).catch((error) => this.logger.warn(`Job "${name}": shutdown failed: ${error}`)),
    };
  }
}
