import { Inject, Injectable } from '@nestjs/common';
import { ClockService } from './clock';
import { KnownTypes } from './config';
import { CronTimer } from './cron';
import { ELASTIC_JOB_MODULE_OPTIONS, ELASTIC_JOB_REGISTRY_CENTER_FACTORY } from './elastic-job.constants';
import { resolveModuleOptions, ResolvedModuleOptions } from './elastic-job.options';
import { buildErrorHandlers, JobEventBus } from './executor';
import { InstanceIdentity, releaseInstanceIdentity, resolveInstanceIdentity } from './instance';
import {
  ElasticJobListener,
  ElasticJobModuleOptions,
  JobErrorHandler,
  RegistryCenterOptions,
  TracingStats,
} from './interfaces';
import { RegistryCenter } from './registry-center';
import type { JobSchedulerContext } from './schedule';
import { BUILT_IN_SHARDING_STRATEGIES, JobShardingStrategy } from './sharding';
import { TracingService } from './tracing';

/** Builds the application's registry center from its options: the seam where tests or tools supply their own. */
export type RegistryCenterFactory = (options: RegistryCenterOptions) => RegistryCenter;

/**
 * What every job of one application shares: the resolved options, the registry center (built through
 * `ELASTIC_JOB_REGISTRY_CENTER_FACTORY`, connected by the orchestrator), the instance's identity, the clock check,
 * the process's cron timer, the error handlers and sharding strategies it knows, and the fire pipeline's event bus.
 */
@Injectable()
export class ElasticJobRuntime {
  readonly options: ResolvedModuleOptions;
  readonly errorHandlers: ReadonlyMap<string, JobErrorHandler>;
  readonly shardingStrategies: ReadonlyMap<string, JobShardingStrategy>;
  /** Error handler and sharding strategy types this application knows (built-in and custom). */
  readonly knownTypes: KnownTypes;
  /** The application's listeners by type (`@JobListener` providers, found by the explorer). */
  readonly listeners = new Map<string, ElasticJobListener>();
  readonly timer = new CronTimer();
  readonly events = new JobEventBus();
  private registryCenter?: RegistryCenter;
  private tracingService?: TracingService;
  private clock?: ClockService;
  private instanceIdentity?: InstanceIdentity;

  constructor(
    @Inject(ELASTIC_JOB_MODULE_OPTIONS) options: ElasticJobModuleOptions,
    @Inject(ELASTIC_JOB_REGISTRY_CENTER_FACTORY) private readonly createRegistryCenter: RegistryCenterFactory,
  ) {
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
  }

  /** The registry center (built on first use, connected at bootstrap). */
  get registry(): RegistryCenter {
    this.registryCenter ??= this.createRegistryCenter(this.options.registryCenter);
    return this.registryCenter;
  }

  /** Whether the registry center was built (there is one to close). */
  get hasRegistry(): boolean {
    return this.registryCenter !== undefined;
  }

  /** This process's identity in the cluster (resolved on first use). */
  get identity(): InstanceIdentity {
    this.instanceIdentity ??= resolveInstanceIdentity(this.registry.namespace, this.options.instanceId);
    return this.instanceIdentity;
  }

  /** Execution tracing (option `tracing`), made on first use; `undefined` without the option. */
  get tracing(): TracingService | undefined {
    if (this.options.tracing && !this.tracingService) {
      this.tracingService = TracingService.create(this.options.tracing);
    }
    return this.tracingService;
  }

  /** The tracing queue's counters, `undefined` without tracing (read by the metrics). */
  tracingStats(): TracingStats | undefined {
    return this.tracingService?.stats;
  }

  /** Measures the clock again, if a job checks it. */
  measureClock(jobName: string): Promise<number> | undefined {
    return this.clock?.currentOffset(jobName);
  }

  /** What the per-job schedulers share (the orchestrator builds it once); `shutDown` ends a job on this instance. */
  schedulerContext(shutDown: (jobName: string) => void): JobSchedulerContext {
    this.clock ??= new ClockService(this.registry);
    return {
      clock: this.clock,
      registry: this.registry,
      timer: this.timer,
      identity: this.identity,
      errorHandlers: this.errorHandlers,
      listeners: this.listeners,
      shardingStrategies: this.shardingStrategies,
      knownTypes: this.knownTypes,
      events: this.events,
      serverRetention: {
        enabledMs: this.options.staleServerGraceMilliseconds,
        disabledMs: this.options.disabledServerGraceMilliseconds,
      },
      shutDown,
    };
  }

  /** Frees the instance id (the application closed). */
  releaseIdentity(): void {
    if (this.instanceIdentity) {
      releaseInstanceIdentity(this.registry.namespace, this.instanceIdentity);
    }
  }
}
