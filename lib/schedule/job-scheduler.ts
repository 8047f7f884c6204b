import { Logger } from '@nestjs/common';
import { KnownTypes, parseShardingItemParameters } from '../config';
import { ClockService } from '../clock';
import { ConfigService } from '../config';
import { DepartureService, InstanceIdentity, InstanceService } from '../instance';
import { ExecutionService } from '../execution';
import { FailoverService } from '../failover';
import { JobNodePath } from '../storage';
import { LeaderService } from '../election';
import { RESHARD_MARGIN_MS, ShardingService } from '../sharding';
import { ServerRetention, ServerService, StaleServerService } from '../server';
import { TriggerService } from '../trigger';
import { ID_SEPARATOR, LOGGER_CONTEXT } from '../elastic-job.constants';
import { clockTooFarOff } from '../elastic-job.messages';
import { JobConfigurationError } from '../errors';
import { JobExecutor, JobExecutorDependencies, JobHandler } from '../executor';
import { JobErrorHandler, ResolvedJobConfiguration } from '../interfaces';
import { RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import type { JobShardingStrategy } from '../sharding';
import { CompiledCron, compileJobCron, CronTimer } from '../cron';
import { TriggerListener } from '../trigger';

// One logger for all instances of this class: thousands of jobs need no logger each.
const logger = new Logger(LOGGER_CONTEXT);
// How often the application calls `reconcileIfDue` (about every minute).
const HOUSEKEEPING_LOOK_MS = 60_000;

/** What every job of an application shares. */
export interface JobSchedulerContext {
  readonly registry: RegistryCenter;
  readonly scheduler: CronTimer;
  readonly identity: InstanceIdentity;
  readonly errorHandlers: Map<string, JobErrorHandler>;
  readonly shardingStrategies: Map<string, JobShardingStrategy>;
  readonly knownTypes: KnownTypes;
  readonly clock: ClockService;
  /** How long the leader keeps the server nodes of servers without instances (see `StaleServerService`). */
  readonly serverRetention: ServerRetention;
  /** Ends the job on this instance (its instance node was removed by an operator: `JobOperateApi.shutdown`). */
  readonly shutDown: (jobName: string) => void;
}

/**
 * One job on this instance: registers it in ZooKeeper (config, server, instance), joins its leader election, keeps a
 * cache of its subtree, schedules its cron, and reacts to the registry: re-election when the leader goes, a reshard
 * flag when instances, servers or the item count change, configuration changes applied live.
 */
export class JobScheduler {
  private readonly paths: JobNodePath;
  private readonly operator: TriggerListener;
  private readonly configService: ConfigService;
  private cache?: TreeCache;
  private executor?: JobExecutor;
  private deps?: JobExecutorDependencies;
  private leader?: LeaderService;
  private instance?: InstanceService;
  private departures?: DepartureService;
  private staleServers?: StaleServerService;
  // The session this job's state was built in, and when the lease was last lost (see `checkSession`).
  private sessionId = '';
  private leaseLostAt?: number;
  private unschedule?: () => void;
  private unsubscribe?: () => void;
  private scheduledCron?: string;
  private cron?: CompiledCron;
  private stopping = false;
  // Another live instance registered with this instance's id: stop without touching the nodes of that id.
  private idTaken = false;
  private sweeping?: Promise<void>;
  private sweepAgain = false;
  private lastReconcile = 0;
  private clockRefused = false;

  constructor(
    private readonly context: JobSchedulerContext,
    private readonly local: ResolvedJobConfiguration,
    private readonly handler: JobHandler,
  ) {
    this.paths = new JobNodePath(local.name);
    this.operator = new TriggerListener(context.registry, this.paths, context.identity.instanceId, {
      trigger: (fireTime) => this.executor?.triggerByOperator(fireTime),
      shutDown: () => context.shutDown(this.name),
      yieldId: () => {
        this.idTaken = true;
        if (!this.stopping) {
          context.shutDown(this.name);
        }
      },
      isStopping: () => this.stopping,
    });
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
    await this.checkClock(config);
    if (config.failover && !config.monitorExecution) {
      logger.warn(`Job "${config.name}": failover needs monitorExecution, which is off; no item will be failed over`);
    }
    // Writes first, cache last: a cache loaded after them reads the final state once, instead of following each of
    // these writes through watches (three reads per created node), which matters with thousands of jobs.
    await ServerService.register(registry, this.paths, identity, !config.disabled, { keepDisabled: true });
    this.instance = new InstanceService(registry, this.paths, identity);
    await this.instance.persistOnline();
    const elected = !config.disabled && (await LeaderService.tryElect(registry, this.paths, identity));
    const cache = (this.cache = await registry.cache(this.paths.root));
    this.leader = new LeaderService(registry, cache, this.paths, identity);
    const execution = new ExecutionService(registry, cache, this.paths, identity.instanceId);
    const departures = (this.departures = new DepartureService(
      registry,
      cache,
      this.paths,
      execution,
      identity.instanceId,
      () => registry.sessionTimeout,
    ));
    const sharding = new ShardingService(registry, cache, this.paths, identity, this.leader, execution, departures);
    this.staleServers = new StaleServerService(registry, cache, this.paths, this.context.serverRetention);
    this.sessionId = registry.getSessionId();
    this.deps = {
      config,
      shardingParameters: parseShardingItemParameters(
        config.name,
        config.shardingItemParameters,
        config.shardingTotalCount,
      ),
      handler: this.handler,
      errorHandler: () => this.context.errorHandlers.get(this.deps!.config.jobErrorHandlerType)!,
      shardingStrategy: () => this.context.shardingStrategies.get(this.deps!.config.jobShardingStrategyType)!,
      identity,
      server: new ServerService(cache, this.paths, identity),
      sharding,
      execution,
      failover: new FailoverService(registry, cache, this.paths, identity.instanceId),
      registry,
      cache,
      paths: this.paths,
      clockOk: () => this.isClockOk(),
    };
    this.executor = new JobExecutor(this.deps);
    this.unsubscribe = cache.subscribe((event) => this.onRegistryChange(event));
    if (elected) {
      // A new leader does not know what changed while there was none: it shards now if alone, else at the next fire.
      if (!(await sharding.shardAtOnceIfAlone(config, this.deps.shardingStrategy()))) {
        await sharding.setReshardingFlag();
      }
      this.sweep(true);
    }
    this.lastReconcile = Date.now();
    this.schedule(config);
    this.executor.claimFailover();
    this.operator.start(cache);
  }

  /** The lease was lost or regained (see `RegistryCenter.hasLease`). */
  onLease(held: boolean): void {
    if (held) {
      this.checkSession();
    } else {
      this.leaseLostAt ??= Date.now();
    }
    this.executor?.onLease(held);
    if (held) {
      this.leaseLostAt = undefined;
    }
  }

  /**
   * When a new session has replaced the one this job's state was built in (the lease may come back, in the new
   * session, before the registry reports it): this instance started nothing since it lost its lease, which its own
   * departure record says (it may lead the next reshard); its assignment and what it missed are void.
   */
  private checkSession(): void {
    const current = this.context.registry.getSessionId();
    if (!this.deps || current === '' || current === this.sessionId) {
      return;
    }
    this.sessionId = current;
    this.departures?.recordOwnSession(this.leaseLostAt ?? Date.now());
    this.deps.sharding.invalidate();
    this.executor?.resetForNewSession();
  }

  /**
   * A new session replaced an expired one (the registry center re-created this instance's node): register the server
   * and the configuration again if they are gone (ZooKeeper restarted empty), take part in the election again, and
   * let the leader look for items left running by the old session.
   */
  async onSessionRenewed(): Promise<void> {
    const deps = this.deps;
    if (this.stopping || !deps || !this.leader) {
      return;
    }
    const { registry, identity } = this.context;
    this.checkSession();
    this.executor?.onSessionRenewed();
    if (!(await registry.exists(this.paths.config))) {
      logger.warn(`Job "${this.name}": its configuration is gone from the registry; writing it again`);
      await this.configService.setUp(deps.config);
    }
    if (!(await registry.exists(this.paths.server(identity.ip)))) {
      await ServerService.register(registry, this.paths, identity, !deps.config.disabled);
    }
    if (deps.server.isEnabled() && !(await registry.exists(this.paths.leaderElectionInstance))) {
      await this.elect();
    } else if (this.leader.isLeader()) {
      this.sweep();
    }
  }

  /** Called about every minute: the leader's reconcile when `reconcileIntervalMinutes` has passed. */
  reconcileIfDue(now: number): void {
    this.lookForStaleServers();
    const minutes = this.deps?.config.reconcileIntervalMinutes ?? 0;
    if (minutes > 0 && now - this.lastReconcile >= minutes * 60_000) {
      this.lastReconcile = now;
      this.reconcile().catch((error) => logger.warn(`Job "${this.name}": reconcile failed: ${error}`));
    }
  }

  /**
   * Self-diagnosis by the leader: items left running by instances that are gone are cleared (and failed over), and
   * an assignment that names an instance that is not available any more asks for a reshard.
   */
  async reconcile(): Promise<void> {
    const deps = this.deps;
    if (this.stopping || !deps || !this.leader?.isLeader()) {
      return;
    }
    this.sweep();
    await this.sweeping;
    if (deps.sharding.isShardingNecessary(Date.now() + 1e9)) {
      return;
    }
    const available = new Set(deps.sharding.availableInstances());
    const cache = this.cache!;
    for (let item = 0; item < deps.config.shardingTotalCount; item++) {
      const owner = cache.get(this.paths.shardingInstance(item));
      if (available.size > 0 && (owner === undefined || !available.has(owner))) {
        logger.warn(
          `Job "${this.name}": item ${item} is assigned to ${owner ?? 'nobody'}, not a live instance; resharding`,
        );
        await deps.sharding.setReshardingFlag();
        return;
      }
    }
  }

  /**
   * Stops firing and hands the job over: leaves the instance list and the leadership, asks for a reshard, and keeps
   * firing under the current assignment until the others have resharded without it (bounded by `graceMs`), so that no
   * fire is missed; then stops its trigger and waits for running items (up to `graceMs`, then aborts them). Running
   * items keep their `running` markers until they end, so nobody runs them twice.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + graceMs;
    const deps = this.deps;
    const { registry } = this.context;
    let marked = false;
    try {
      if (this.idTaken && deps) {
        // Its nodes (instance, leadership, trigger, leaving mark) are the other instance's now: write nothing.
        deps.config = { ...deps.config, failover: false };
        registry.forgetEphemeral(this.paths.instance(this.context.identity.instanceId));
      } else if (deps && registry.isConnected() && !this.cache?.has(this.paths.config)) {
        // (The cache saw the configuration go before the instance node whose removal brings an operator's stop here.)
        // The job is being removed from the registry (`JobConfigurationApi.removeJobConfiguration`): write nothing
        // that would bring its nodes back; running items are not handed over.
        deps.config = { ...deps.config, failover: false };
        await this.instance?.removeInstance();
        await this.leader?.resign();
      } else if (deps && registry.isConnected()) {
        await this.executor?.prepareLeave();
        // Before the instance node goes: the others then know it still fires (until `deadline` at the latest), so
        // that nobody takes its fires for missed ones.
        await this.departures?.markLeaving(deadline);
        marked = true;
        await this.instance?.removeInstance();
        await this.operator.clearTrigger();
        await this.leader?.resign();
        const others = deps.sharding.availableInstances().filter((id) => id !== this.context.identity.instanceId);
        if (others.length > 0 && this.unschedule) {
          await deps.sharding.setReshardingFlag();
          if (!(await deps.sharding.waitForReshard(graceMs))) {
            logger.warn(`Job "${this.name}": the other instances did not reshard within ${graceMs} ms; leaving anyway`);
          }
        }
      }
    } catch (error) {
      logger.warn(`Job "${this.name}": could not hand over cleanly: ${error}`);
    }
    this.unsubscribe?.();
    this.unschedule?.();
    this.unschedule = undefined;
    if (marked) {
      this.departures
        ?.clearLeaving()
        .catch((error) => logger.warn(`Job "${this.name}": could not clear its leaving mark: ${error}`));
    }
    // The grace period counts from the start of the stop: running items get what is left of it.
    await this.executor?.stop(Math.max(0, deadline - Date.now()));
  }

  /** Drops the cache (the instance node went in `stop`; a closing session removes the rest). */
  async close(): Promise<void> {
    this.cache?.close();
  }

  /**
   * Removes this server's `servers/{ip}` node when no other instance of this server runs the job (the job was removed
   * from this instance at runtime: `JobRegistry.removeJob`).
   */
  async removeServerIfLast(): Promise<void> {
    const { registry, identity } = this.context;
    const ipPrefix = `${identity.ip}${ID_SEPARATOR}`;
    const instances = await registry.getChildren(this.paths.instances);
    if (!instances.some((id) => id.startsWith(ipPrefix)) && (await registry.exists(this.paths.config))) {
      await registry.remove(this.paths.server(identity.ip));
    }
  }

  /** Tries to lead; a new leader does not know what changed while there was none, so it asks for a reshard. */
  private async elect(): Promise<boolean> {
    if (this.stopping || !this.leader) {
      return false;
    }
    const elected = await this.leader.elect();
    if (elected) {
      await this.deps!.sharding.setReshardingFlag();
      this.sweep(true);
    }
    return elected;
  }

  /**
   * The leader's look for items left running by instances that are gone (`FailoverService.recoverCrashed`); runs one
   * at a time, once more if asked meanwhile.
   */
  private sweep(justElected = false): void {
    const deps = this.deps;
    // (Right after winning the election the cache may not show this instance as the leader yet.)
    if (this.stopping || !deps || !(justElected || this.leader?.isLeader())) {
      return;
    }
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = (async () => {
      do {
        this.sweepAgain = false;
        await deps.failover.recoverCrashed(deps.config.failover && deps.config.monitorExecution);
        await new TriggerService(this.context.registry, this.paths).removeStale();
        await this.staleServers?.removeStale();
      } while (this.sweepAgain && !this.stopping);
    })()
      .catch((error) => logger.warn(`Job "${this.name}": looking for crashed items failed: ${error}`))
      .finally(() => (this.sweeping = undefined));
  }

  /** Refuses to start when the clock is further from ZooKeeper's than `maxTimeDiffSeconds`. */
  private async checkClock(config: ResolvedJobConfiguration): Promise<void> {
    if (config.maxTimeDiffSeconds < 0) {
      return;
    }
    const offset = await this.context.clock.currentOffset();
    if (Math.abs(offset) > config.maxTimeDiffSeconds * 1000) {
      throw new JobConfigurationError(
        clockTooFarOff(config.name, offset, config.maxTimeDiffSeconds),
        config.name,
        'maxTimeDiffSeconds',
      );
    }
  }

  /** At each fire: the last measured offset within `maxTimeDiffSeconds` (reported once when it is not, or again). */
  private isClockOk(): boolean {
    const config = this.deps!.config;
    const offset = this.context.clock.lastOffset;
    const ok =
      config.maxTimeDiffSeconds < 0 || offset === undefined || Math.abs(offset) <= config.maxTimeDiffSeconds * 1000;
    if (ok === this.clockRefused) {
      this.clockRefused = !ok;
      if (ok) {
        logger.log(`Job "${this.name}": the clock is back within maxTimeDiffSeconds; running again`);
      } else {
        logger.error(`${clockTooFarOff(config.name, offset!, config.maxTimeDiffSeconds)}; not running until it is`);
      }
    }
    return ok;
  }

  private schedule(config: ResolvedJobConfiguration): void {
    const key = `${config.cron ?? ''}|${config.timeZone ?? ''}`;
    if (key === this.scheduledCron) {
      return;
    }
    this.unschedule?.();
    this.unschedule = undefined;
    this.scheduledCron = key;
    this.cron = undefined;
    if (!config.cron) {
      return;
    }
    const cron = (this.cron = compileJobCron(config.cron, config.timeZone));
    this.unschedule = this.context.scheduler.add(cron, (fireTime, missed) => this.executor!.trigger(fireTime, missed));
  }

  private onRegistryChange(event: TreeCacheEvent): void {
    const { paths } = this;
    const path = event.path;
    const background = (work: Promise<unknown>, what: string) =>
      work.catch((error) => logger.warn(`Job "${this.name}": ${what} failed: ${error}`));
    if (path === paths.config) {
      this.onConfigChange(event);
    } else if (this.operator.handles(event)) {
      return;
    } else if (path === paths.leaderElectionInstance && event.type === 'NODE_REMOVED') {
      if (this.deps?.server.isEnabled()) {
        background(this.elect(), 'leader election');
      }
    } else if (isChildOf(path, paths.instances) || isChildOf(path, paths.servers)) {
      if (event.type !== 'NODE_UPDATED' || isChildOf(path, paths.servers)) {
        this.onTopologyChange(background);
      }
      if (event.type !== 'NODE_UPDATED' && isChildOf(path, paths.instances)) {
        this.sweep();
      }
      if (event.type === 'NODE_REMOVED' && isChildOf(path, paths.instances)) {
        this.reshardSoon();
        this.sweepWhenServersMayGo();
      }
    } else if (path === paths.sharding && event.type !== 'NODE_REMOVED') {
      // (Fires that reshard read the new assignment themselves; this is for one made between fires.)
      setTimeout(() => {
        this.executor
          ?.adoptNewAssignment()
          .catch((error) => logger.warn(`Job "${this.name}": reading the new assignment failed: ${error}`));
      }, RESHARD_MARGIN_MS).unref();
    } else if (path.startsWith(paths.sharding) || path.startsWith(paths.leaderFailoverItems)) {
      this.onItemChange(event);
    }
  }

  /** A `running` marker went: the item may run its missed fire, or a failover run; a queued item: maybe claim it. */
  private onItemChange(event: TreeCacheEvent): void {
    const executor = this.executor;
    if (!executor) {
      return;
    }
    const { path, type } = event;
    if (type === 'NODE_REMOVED' && path.endsWith('/running')) {
      const item = Number(path.slice(this.paths.sharding.length + 1, -'/running'.length));
      executor.runMisfire(item);
      executor.claimFailover();
    } else if (
      (type === 'NODE_ADDED' && isChildOf(path, this.paths.leaderFailoverItems)) ||
      (type === 'NODE_REMOVED' && path.endsWith('/failover'))
    ) {
      executor.claimFailover();
    }
  }

  /** The leader's look for server nodes whose servers have had no instance for the retention (no request if none). */
  private lookForStaleServers(): void {
    if (!this.stopping && this.leader?.isLeader()) {
      this.staleServers
        ?.removeStale()
        .catch((error) => logger.warn(`Job "${this.name}": removing stale servers failed: ${error}`));
    }
  }

  /**
   * An instance left: its server node may go once the retention has passed. The leader looks every minute anyway; a
   * shorter retention is looked at when it ends.
   */
  private sweepWhenServersMayGo(): void {
    const retention = this.context.serverRetention.enabledMs;
    if (retention < HOUSEKEEPING_LOOK_MS) {
      setTimeout(() => this.lookForStaleServers(), retention + 100).unref();
    }
  }

  /**
   * An instance left: once the leader's reshard flag is old enough for every instance to have seen it, the leader
   * reshards without waiting for the next fire, if that fire is far enough (`ShardingService.reshardBetweenFires`).
   */
  private reshardSoon(): void {
    setTimeout(() => {
      if (this.stopping || !this.leader?.isLeader()) {
        return;
      }
      const nextFire = this.cron ? (this.cron.next(Date.now()) ?? undefined) : undefined;
      this.executor
        ?.reshardBetweenFires(nextFire)
        .catch((error) => logger.warn(`Job "${this.name}": resharding between fires failed: ${error}`));
    }, RESHARD_MARGIN_MS * 2).unref();
  }

  private onTopologyChange(background: (work: Promise<unknown>, what: string) => void): void {
    const { leader, deps } = this;
    if (!leader || !deps) {
      return;
    }
    if (leader.isLeader()) {
      if (!deps.server.isEnabled()) {
        background(leader.resign(), 'resigning the leadership of a disabled server');
      }
      background(deps.sharding.setReshardingFlag(), 'setting the reshard flag');
    } else if (!leader.hasLeader() && deps.server.isEnabled()) {
      background(this.elect(), 'leader election');
    }
  }

  private onConfigChange(event: TreeCacheEvent): void {
    if (event.type !== 'NODE_UPDATED' || !this.deps || event.data === undefined) {
      return;
    }
    try {
      const previous = this.deps.config;
      const config = this.configService.parse(event.data, this.local);
      this.deps.config = config;
      this.deps.shardingParameters = parseShardingItemParameters(
        config.name,
        config.shardingItemParameters,
        config.shardingTotalCount,
      );
      this.schedule(config);
      if (config.disabled !== previous.disabled) {
        // As a start with this configuration would: the server's switch follows `disabled` (and the election and the
        // resharding follow the switch).
        ServerService.register(this.context.registry, this.paths, this.context.identity, !config.disabled).catch(
          (error) => logger.warn(`Job "${this.name}": could not switch its server: ${error}`),
        );
      }
      if (config.shardingTotalCount !== previous.shardingTotalCount && this.leader?.isLeader()) {
        this.deps.sharding
          .setReshardingFlag()
          .catch((error) => logger.warn(`Job "${this.name}": reshard flag: ${error}`));
      }
      logger.log(`Job "${this.name}": configuration changed in the registry; applied`);
    } catch (error) {
      logger.error(
        `Job "${this.name}": configuration in the registry rejected, keeping the previous one: ${(error as Error).message}`,
      );
    }
  }
}

const isChildOf = (path: string, parent: string) =>
  path.startsWith(`${parent}/`) && path.indexOf('/', parent.length + 1) < 0;
