import { ClockGuard } from '../clock';
import { ConfigService } from '../config';
import { CompiledCron, compileJobCron } from '../cron';
import { logger } from '../elastic-job.logger';
import { LeaderService } from '../election';
import { JobItemExecutor } from '../executor';
import { InstanceService } from '../instance';
import { LocalJobStatus, ResolvedJobConfiguration } from '../interfaces';
import { ServerService } from '../server';
import { ipOf, JobNodePath } from '../storage';
import { TriggerListener } from '../trigger';
import { assembleJob, JobSchedulerContext, StartedJob, JobActions } from './job-assembly';
import { handOver } from './job-hand-over';

/**
 * One job on this instance: registers it in ZooKeeper (config, server, instance), joins its leader election, keeps a
 * cache of its subtree, wires each room's listener of that cache to the executor (through the job's facade), and
 * schedules its cron on the process's timer. It only wires, starts and stops; the reactions are the rooms'.
 */
export class JobScheduler implements JobActions {
  private readonly paths: JobNodePath;
  private readonly configService: ConfigService;
  private readonly clockGuard: ClockGuard;
  private readonly triggers: TriggerListener;
  private job?: StartedJob;
  private unsubscribe?: () => void;
  // The session this job's state was built in, and when the lease was last lost (see `checkSession`).
  private sessionId = '';
  private leaseLostAt?: number;
  private unschedule?: () => void;
  private scheduledCron?: string;
  private cron?: CompiledCron;
  private stopping = false;
  private renewing = false;
  // Another live instance registered with this instance's id: stop without touching the nodes of that id.
  private idTaken = false;

  constructor(
    private readonly context: JobSchedulerContext,
    private readonly local: ResolvedJobConfiguration,
    private readonly itemExecutor: JobItemExecutor,
  ) {
    this.paths = new JobNodePath(local.name);
    this.configService = new ConfigService(context.registry, this.paths, context.knownTypes);
    this.clockGuard = new ClockGuard(context.clock);
    this.triggers = new TriggerListener(context.registry, this.paths, context.identity.instanceId, this);
  }

  get name(): string {
    return this.local.name;
  }

  /** The configuration in force (ZooKeeper's when it won over the local one). */
  get configuration(): ResolvedJobConfiguration {
    return this.job?.facade.config ?? this.local;
  }

  get runningItems(): number[] {
    return this.job?.executor.runningItems ?? [];
  }

  /** What the job does on this instance now (`InstanceStatusApi`). */
  status(): LocalJobStatus {
    const job = this.job;
    const config = this.configuration;
    let state: LocalJobStatus['state'] = 'RUNNING';
    if (this.stopping) {
      state = 'STOPPING';
    } else if (!job) {
      state = 'STARTING';
    } else if (this.renewing) {
      state = 'RENEWING';
    } else if (config.disabled || !job.facade.isServerEnabled()) {
      state = 'DISABLED';
    }
    return {
      jobName: this.name,
      state,
      leader: job?.leader.isLeader() ?? false,
      itemsOwned: job ? [...job.sharding.getLocalShardingItems(config.shardingTotalCount)] : [],
      runningItems: this.runningItems,
      ...job?.executor.activity,
    };
  }

  async start(): Promise<void> {
    const { registry, identity } = this.context;
    const config = await this.configService.setUp(this.local);
    await this.clockGuard.checkAtStart(config);
    if (config.failover && !config.monitorExecution) {
      logger.warn(`Job "${config.name}": failover needs monitorExecution, which is off; no item will be failed over`);
    }
    // Writes first, cache last: a cache loaded after them reads the final state once, instead of following each of
    // these writes through watches (three reads per created node), which matters with thousands of jobs.
    await ServerService.register(registry, this.paths, identity, !config.disabled, { keepDisabled: true });
    const instance = new InstanceService(registry, this.paths, identity);
    await instance.persistOnline();
    const elected = !config.disabled && (await LeaderService.tryElect(registry, this.paths, identity));
    const cache = await registry.cache(this.paths.root);
    const { context, paths, local, configService, itemExecutor, clockGuard, triggers } = this;
    const parts = { context, paths, cache, config, local, configService, instance, itemExecutor, clockGuard, triggers };
    const job = (this.job = assembleJob({ ...parts, actions: this }));
    this.sessionId = registry.getSessionId();
    // One subscription per job: every room's listener sees each event, in a fixed order.
    const { listeners } = job;
    this.unsubscribe = cache.subscribe((event) => {
      for (const listener of listeners) {
        listener.onEvent(event);
      }
    });
    if (elected) {
      // A new leader does not know what changed while there was none: it shards now if alone, else at the next fire.
      if (!(await job.reshard.shardAtOnceIfAlone(config, job.facade.strategy()))) {
        await job.sharding.setReshardingFlag();
      }
      job.reconcile.sweep(true);
    }
    this.schedule(config);
    job.executor.claimFailover();
    this.triggers.takePending(job.cache);
  }

  /** The lease was lost or regained (see `RegistryCenter.hasLease`). */
  onLease(held: boolean): void {
    if (held) {
      this.checkSession();
    } else {
      this.leaseLostAt ??= Date.now();
    }
    this.job?.executor.onLease(held);
    if (held) {
      this.leaseLostAt = undefined;
    }
  }

  /**
   * A new session replaced an expired one (the registry center re-created this instance's node): register the server
   * and the configuration again if they are gone (ZooKeeper restarted empty), take part in the election again, and
   * let the leader look for items left running by the old session.
   */
  async onSessionRenewed(): Promise<void> {
    const job = this.job;
    if (this.stopping || !job) {
      return;
    }
    this.renewing = true;
    try {
      await this.registerAgain(job);
    } finally {
      this.renewing = false;
    }
  }

  private async registerAgain(job: StartedJob): Promise<void> {
    const { registry, identity } = this.context;
    this.checkSession();
    job.executor.onSessionRenewed();
    if (!(await registry.exists(this.paths.config))) {
      logger.warn(`Job "${this.name}": its configuration is gone from the registry; writing it again`);
      await this.configService.setUp(job.facade.config);
    }
    if (!(await registry.exists(this.paths.server(identity.ip)))) {
      await ServerService.register(registry, this.paths, identity, !job.facade.config.disabled);
    }
    if (job.facade.isServerEnabled() && !(await registry.exists(this.paths.leaderElectionInstance))) {
      await job.election.elect();
    } else if (job.leader.isLeader()) {
      job.reconcile.sweep();
    }
  }

  /** Called about every minute: the leader's look for stale servers, and its reconcile when it is due. */
  reconcileIfDue(now: number): void {
    this.job?.servers.lookForStaleServers();
    this.job?.reconcile.reconcileIfDue(now);
  }

  /** Stops firing and hands the job over (`handOver`), then waits for running items. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + graceMs;
    const job = this.job;
    const stopTimer = () => {
      this.unsubscribe?.();
      this.unschedule?.();
      this.unschedule = undefined;
    };
    if (!job) {
      stopTimer();
      return;
    }
    await handOver(job, graceMs, deadline, {
      idTaken: this.idTaken,
      scheduled: this.unschedule !== undefined,
      clearTrigger: () => this.triggers.clearTrigger(),
      stopTimer,
    });
    // The grace period counts from the start of the stop: running items get what is left of it.
    await job.executor.stop(Math.max(0, deadline - Date.now()));
  }

  /** Drops the cache (the instance node went in `stop`; a closing session removes the rest) and the item executor's. */
  async close(): Promise<void> {
    this.job?.cache.close();
    await this.closeItemExecutor();
  }

  /** Frees what the job type holds (an HTTP job's connections), once the job has stopped. */
  async closeItemExecutor(): Promise<void> {
    try {
      await this.itemExecutor.close?.();
    } catch (error) {
      logger.warn(`Job "${this.name}": closing its ${this.itemExecutor.type} executor failed: ${error}`);
    }
  }

  /**
   * Removes this server's `servers/{ip}` node when no other instance of this server runs the job (the job was removed
   * from this instance at runtime: `JobRegistry.removeJob`).
   */
  async removeServerIfLast(): Promise<void> {
    const { registry, identity } = this.context;
    const instances = await registry.getChildren(this.paths.instances);
    if (!instances.some((id) => ipOf(id) === identity.ip) && (await registry.exists(this.paths.config))) {
      await registry.remove(this.paths.server(identity.ip));
    }
  }

  isStopping(): boolean {
    return this.stopping;
  }

  /** An operator's trigger (`TriggerListener`). */
  trigger(fireTime: number, jobParameter?: string): void {
    this.job?.executor.trigger(fireTime, jobParameter);
  }

  /** An operator removed this instance's node (`ShutdownListener`): the job ends here. */
  shutDown(): void {
    this.context.shutDown(this.name);
  }

  /** Another live instance has this instance's id (`ShutdownListener`): the job ends here, writing nothing. */
  yieldId(): void {
    this.idTaken = true;
    if (!this.stopping) {
      this.context.shutDown(this.name);
    }
  }

  isServerEnabled(): boolean {
    return this.job?.facade.isServerEnabled() ?? false;
  }

  /** Just elected (`ElectionListener`): a new leader does not know what changed while there was none. */
  async elected(): Promise<void> {
    const job = this.job!;
    await job.sharding.setReshardingFlag();
    job.reconcile.sweep(true);
  }

  /** The next cron fire (`undefined`: no cron). */
  nextFire(): number | undefined {
    return this.cron ? (this.cron.next(Date.now()) ?? undefined) : undefined;
  }

  reshardBetweenFires(nextFire: number | undefined): Promise<void> {
    return this.job?.executor.reshardBetweenFires(nextFire) ?? Promise.resolve();
  }

  adoptNewAssignment(): Promise<void> {
    return this.job?.executor.adoptNewAssignment() ?? Promise.resolve();
  }

  /** The configuration changed in the registry: the timer, the server switch, the item count follow, in that order. */
  onConfigChange(config: ResolvedJobConfiguration, previous: ResolvedJobConfiguration): void {
    this.schedule(config);
    this.job?.servers.onConfigChange(config, previous);
    this.job?.shardingListener.onConfigChange(config, previous);
  }

  /**
   * When a new session has replaced the one this job's state was built in (the lease may come back, in the new
   * session, before the registry reports it): this instance started nothing since it lost its lease, which its own
   * departure record says (it may lead the next reshard); its assignment and what it missed are void.
   */
  private checkSession(): void {
    const current = this.context.registry.getSessionId();
    if (!this.job || current === '' || current === this.sessionId) {
      return;
    }
    this.sessionId = current;
    this.job.departures.recordOwnSession(this.leaseLostAt ?? Date.now());
    this.job.sharding.invalidate();
    this.job.executor.resetForNewSession();
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
    const executor = this.job!.executor;
    this.unschedule = this.context.timer.add(cron, (fireTime, missed) => executor.onTimer(fireTime, missed));
  }
}
