import { Logger } from '@nestjs/common';
import { KnownTypes, parseShardingItemParameters } from '../config';
import {
  ConfigService,
  ExecutionService,
  InstanceIdentity,
  InstanceService,
  JobNodePath,
  ServerService,
  ShardingService,
} from '../coordination';
import { LOGGER_CONTEXT } from '../elastic-job.constants';
import { JobExecutor, JobExecutorDependencies, JobHandler } from '../executor';
import { JobErrorHandler, ResolvedJobConfiguration } from '../interfaces';
import { RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import { compileCron, CronScheduler, normalizeTimeZone } from '../trigger';

// One logger for all instances of this class: thousands of jobs need no logger each.
const logger = new Logger(LOGGER_CONTEXT);

/** What every job of an application shares. */
export interface JobBootstrapContext {
  readonly registry: RegistryCenter;
  readonly scheduler: CronScheduler;
  readonly identity: InstanceIdentity;
  readonly errorHandlers: Map<string, JobErrorHandler>;
  readonly knownTypes: KnownTypes;
}

/**
 * One job on this instance: registers it in ZooKeeper (config, server, instance), keeps a cache of its subtree,
 * schedules its cron and applies configuration changes made in ZooKeeper while it runs.
 */
export class JobBootstrap {
  private readonly paths: JobNodePath;
  private readonly configService: ConfigService;
  private cache?: TreeCache;
  private executor?: JobExecutor;
  private deps?: JobExecutorDependencies;
  private unschedule?: () => void;
  private unsubscribe?: () => void;
  private scheduledCron?: string;

  constructor(
    private readonly context: JobBootstrapContext,
    private readonly local: ResolvedJobConfiguration,
    private readonly handler: JobHandler,
  ) {
    this.paths = new JobNodePath(local.name);
    this.configService = new ConfigService(context.registry, this.paths, context.knownTypes);
  }

  get name(): string {
    return this.local.name;
  }

  /** The configuration in force (ZooKeeper's when it won over the local one). */
  get configuration(): ResolvedJobConfiguration {
    return this.deps?.config ?? this.local;
  }

  get runningItems(): number[] {
    return this.executor?.runningItems ?? [];
  }

  async start(): Promise<void> {
    const { registry, identity } = this.context;
    const config = await this.configService.setUp(this.local);
    this.cache = await registry.cache(this.paths.root);
    const server = new ServerService(registry, this.cache, this.paths, identity);
    await server.persistOnline(!config.disabled);
    await new InstanceService(registry, this.paths, identity).persistOnline();
    this.deps = {
      config,
      shardingParameters: parseShardingItemParameters(
        config.name,
        config.shardingItemParameters,
        config.shardingTotalCount,
      ),
      handler: this.handler,
      errorHandler: () => this.context.errorHandlers.get(this.deps!.config.jobErrorHandlerType)!,
      identity,
      server,
      sharding: new ShardingService(this.cache, this.paths),
      execution: new ExecutionService(registry, this.cache, this.paths, identity.instanceId),
    };
    this.executor = new JobExecutor(this.deps);
    this.unsubscribe = this.cache.subscribe((event) => this.onRegistryChange(event));
    this.schedule(config);
  }

  /** Runs the job's items of this instance once, now. */
  execute(): Promise<void> {
    return this.executor ? this.executor.execute() : Promise.resolve();
  }

  /** Stops firing and waits for running items (up to `graceMs`, then aborts them). */
  async stop(graceMs: number): Promise<void> {
    this.unschedule?.();
    this.unschedule = undefined;
    this.unsubscribe?.();
    await this.executor?.stop(graceMs);
  }

  /** Removes this instance's node of the job and drops the cache. */
  async close(): Promise<void> {
    await new InstanceService(this.context.registry, this.paths, this.context.identity)
      .removeInstance()
      .catch((error) => logger.warn(`Job "${this.name}": could not remove instance node: ${error}`));
    this.cache?.close();
  }

  private schedule(config: ResolvedJobConfiguration): void {
    const key = `${config.cron ?? ''}|${config.timeZone ?? ''}`;
    if (key === this.scheduledCron) {
      return;
    }
    this.unschedule?.();
    this.unschedule = undefined;
    this.scheduledCron = key;
    if (!config.cron) {
      return;
    }
    const zone = config.timeZone ? (normalizeTimeZone(config.timeZone) ?? undefined) : undefined;
    this.unschedule = this.context.scheduler.add(compileCron(config.cron, zone), () => this.fire());
  }

  private fire(): void {
    this.executor!.fire()?.catch((error) =>
      logger.error(
        `Job "${this.name}" execution failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
      ),
    );
  }

  private onRegistryChange(event: TreeCacheEvent): void {
    if (event.path !== this.paths.config || event.type !== 'NODE_UPDATED' || !this.deps || event.data === undefined) {
      return;
    }
    try {
      const config = this.configService.parse(event.data, this.local);
      this.deps.config = config;
      this.deps.shardingParameters = parseShardingItemParameters(
        config.name,
        config.shardingItemParameters,
        config.shardingTotalCount,
      );
      this.schedule(config);
      logger.log(`Job "${this.name}": configuration changed in the registry; applied`);
    } catch (error) {
      logger.error(
        `Job "${this.name}": configuration in the registry rejected, keeping the previous one: ${(error as Error).message}`,
      );
    }
  }
}
