import { logger } from '../elastic-job.logger';
import { LeaderService } from '../election';
import { FailoverService } from '../failover';
import { ResolvedJobConfiguration } from '../interfaces';
import { TreeCache, RegistryCenter } from '../registry-center';
import { StaleServerService } from '../server';
import { ShardingService } from '../sharding';
import { JobNodePath } from '../storage';
import { TriggerService } from '../trigger';

/** What the leader's look needs of the job. */
export interface ReconcileContext {
  /** The configuration in force. */
  readonly configuration: ResolvedJobConfiguration;
  isStopping(): boolean;
}

/**
 * The leader's self-diagnosis of one job (ElasticJob's reconcile): the sweep of what instances that are gone left
 * behind (`running` markers, handed to failover; triggers; server nodes past their retention), and, every
 * `reconcileIntervalMinutes`, an assignment naming an instance that is not available any more asks for a reshard.
 */
export class ReconcileService {
  private sweeping?: Promise<void>;
  private sweepAgain = false;
  private lastReconcile = Date.now();

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly leader: LeaderService,
    private readonly sharding: ShardingService,
    private readonly failover: FailoverService,
    private readonly staleServers: StaleServerService,
    private readonly context: ReconcileContext,
  ) {}

  /**
   * The leader's look for items left running by instances that are gone (`FailoverService.recoverCrashed`), stale
   * triggers and stale servers; runs one at a time, once more if asked meanwhile. (Right after winning the election
   * the cache may not show this instance as the leader yet: `justElected`.)
   */
  sweep(justElected = false): void {
    const { context } = this;
    if (context.isStopping() || !(justElected || this.leader.isLeader())) {
      return;
    }
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = (async () => {
      do {
        this.sweepAgain = false;
        const config = context.configuration;
        await this.failover.recoverCrashed(config.failover && config.monitorExecution);
        await new TriggerService(this.registry, this.paths).removeStale();
        await this.staleServers.removeStale();
      } while (this.sweepAgain && !context.isStopping());
    })()
      .catch((error) => logger.warn(`Job "${this.paths.jobName}": looking for crashed items failed: ${error}`))
      .finally(() => (this.sweeping = undefined));
  }

  /** Called about every minute: the reconcile when `reconcileIntervalMinutes` has passed. */
  reconcileIfDue(now: number): void {
    const minutes = this.context.configuration.reconcileIntervalMinutes;
    if (minutes > 0 && now - this.lastReconcile >= minutes * 60_000) {
      this.lastReconcile = now;
      this.reconcile().catch((error) => logger.warn(`Job "${this.paths.jobName}": reconcile failed: ${error}`));
    }
  }

  /**
   * Self-diagnosis by the leader: items left running by instances that are gone are cleared (and failed over), and
   * an assignment that names an instance that is not available any more asks for a reshard.
   */
  async reconcile(): Promise<void> {
    if (this.context.isStopping() || !this.leader.isLeader()) {
      return;
    }
    this.sweep();
    await this.sweeping;
    if (this.sharding.isShardingNecessary(Date.now() + 1e9)) {
      return;
    }
    const available = new Set(this.sharding.availableInstances());
    for (let item = 0; item < this.context.configuration.shardingTotalCount; item++) {
      const owner = this.cache.get(this.paths.shardingInstance(item));
      if (available.size > 0 && (owner === undefined || !available.has(owner))) {
        logger.warn(
          `Job "${this.paths.jobName}": item ${item} is assigned to ${owner ?? 'nobody'}, not a live instance; resharding`,
        );
        await this.sharding.setReshardingFlag();
        return;
      }
    }
  }
}
