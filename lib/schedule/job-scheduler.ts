import { ClockGuard } from '../clock';
import { ConfigListener, ConfigService } from '../config';
import { CompiledCron, compileJobCron } from '../cron';
import { logger } from '../elastic-job.logger';
import { LeaderService } from '../election';
import { ExecutionListener } from '../execution';
import { JobItemExecutor } from '../executor';
import { FailoverListener } from '../failover';
import { InstanceService, ShutdownListener } from '../instance';
import { ResolvedJobConfiguration } from '../interfaces';
import { ReconcileListener } from '../reconcile';
import { ServerService } from '../server';
import { ShardingListener } from '../sharding';
import { ipOf, JobNodePath } from '../storage';
import { TriggerListener } from '../trigger';
import { assembleJob, JobSchedulerContext, StartedJob } from './job-assembly';
import { handOver } from './job-hand-over';

/**
 * One job on this instance: registers it in ZooKeeper (config, server, instance), joins its leader election, keeps a
 * cache of its subtree, wires each room's listener of that cache to the executor (through the job's facade), and
 * schedules its cron on the process's timer. It only wires, starts and stops; the reactions are the rooms'.
 */
export class JobScheduler {
  private readonly paths: JobNodePath;
  private readonly configService: ConfigService;
  private readonly clockGuard: ClockGuard;
  private readonly triggers: TriggerListener;
  private job?: StartedJob;
  // The session this job's state was built in, and when the lease was last lost (see `checkSession`).
  private sessionId = '';
  private leaseLostAt?: number;
  private unschedule?: () => void;
  private scheduledCron?: string;
  private cron?: CompiledCron;
  private stopping = false;
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
    this.triggers = new TriggerListener(context.registry, this.paths, context.identity.instanceId, {
      trigger: (fireTime) => this.job?.executor.trigger(fireTime),
      isStopping: () => this.stopping,
    });
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
    const { paths, itemExecutor, clockGuard } = this;
    const parts = { context: this.context, paths, cache, config, instance, itemExecutor, clockGuard };
    const job = (this.job = assembleJob({ ...parts, isStopping: () => this.stopping }));
    this.sessionId = registry.getSessionId();
    this.listen(job);
    if (elected) {
      // A new leader does not know what changed while there was none: it shards now if alone, else at the next fire.
      const strategy = this.context.shardingStrategies.get(config.jobShardingStrategyType)!;
      if (!(await job.reshard.shardAtOnceIfAlone(config, strategy))) {
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

  /** Stops firing and hands the job over (`JobHandOver.leave`), then waits for running items. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + graceMs;
    const job = this.job;
    const stopTimer = () => {
      job?.unsubscribe.forEach((unsubscribe) => unsubscribe());
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

  /** Drops the cache (the instance node went in `stop`; a closing session removes the rest). */
  async close(): Promise<void> {
    this.job?.cache.close();
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

  /** Subscribes every room's listener to the job's cache, in the order their reactions to one event run. */
  private listen(job: StartedJob): void {
    const { registry, identity } = this.context;
    const { paths } = this;
    const own = paths.instance(identity.instanceId);
    const { cache, facade, executor } = job;
    const configListener = new ConfigListener(this.configService, paths, this.local, facade);
    const sharding = new ShardingListener(job.leader, job.sharding, paths, own, {
      isStopping: () => this.stopping,
      nextFire: () => (this.cron ? (this.cron.next(Date.now()) ?? undefined) : undefined),
      reshardBetweenFires: (nextFire) => executor.reshardBetweenFires(nextFire),
      adoptNewAssignment: () => executor.adoptNewAssignment(),
    });
    configListener.onChange((next) => this.schedule(next));
    configListener.onChange((next, previous) => job.servers.onConfigChange(next, previous));
    configListener.onChange((next, previous) => sharding.onConfigChange(next, previous));
    const shutdown = new ShutdownListener(registry, paths, identity.instanceId, {
      shutDown: () => this.context.shutDown(this.name),
      yieldId: () => {
        this.idTaken = true;
        if (!this.stopping) {
          this.context.shutDown(this.name);
        }
      },
      isStopping: () => this.stopping,
    });
    job.unsubscribe.push(
      configListener.listen(cache),
      this.triggers.listen(cache),
      shutdown.listen(cache),
      job.election.listen(cache),
      sharding.listen(cache),
      new ReconcileListener(job.reconcile, paths, own).listen(cache),
      job.servers.listen(cache),
      new ExecutionListener(paths, executor).listen(cache),
      new FailoverListener(paths, () => executor.claimFailover()).listen(cache),
    );
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
