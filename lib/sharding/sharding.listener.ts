import { inBackground } from '../elastic-job.logger';
import { LeaderService } from '../election';
import { ResolvedJobConfiguration } from '../interfaces';
import { TreeCacheEvent } from '../registry-center';
import { isTopologyChange, JobNodePath, RegistryEventListener } from '../storage';
import { RESHARD_MARGIN_MS, ShardingService } from './sharding.service';

/** What resharding needs of the job. */
export interface ShardingActions {
  isStopping(): boolean;
  /** The job's next cron fire (`undefined`: no cron). */
  nextFire(): number | undefined;
  /** Reshards between fires as the leader, when it may (the executor adopts what the reshard recorded). */
  reshardBetweenFires(nextFire: number | undefined): Promise<void>;
  /** Reads an assignment stamped between fires, if no fire reads it. */
  adoptNewAssignment(): Promise<void>;
}

/**
 * When the assignment must change: the leader flags a reshard when instances or servers change and when the item
 * count does; after an instance left it reshards between fires if the next is far enough; and every instance reads
 * an assignment the leader stamped between fires.
 */
export class ShardingListener implements RegistryEventListener {
  constructor(
    private readonly leader: LeaderService,
    private readonly sharding: ShardingService,
    private readonly paths: JobNodePath,
    private readonly ownInstancePath: string,
    private readonly actions: ShardingActions,
  ) {}

  /** A configuration change: a new item count is resharded at the next fire. */
  onConfigChange(config: ResolvedJobConfiguration, previous: ResolvedJobConfiguration): void {
    if (config.shardingTotalCount !== previous.shardingTotalCount && this.leader.isLeader()) {
      inBackground(this.sharding.setReshardingFlag(), this.paths.jobName, 'setting the reshard flag');
    }
  }

  onEvent(event: TreeCacheEvent): void {
    const { paths } = this;
    if (isTopologyChange(event, paths, this.ownInstancePath)) {
      if (this.leader.isLeader()) {
        inBackground(this.sharding.setReshardingFlag(), paths.jobName, 'setting the reshard flag');
      }
      if (event.type === 'NODE_REMOVED' && paths.isInstanceNode(event.path)) {
        this.reshardSoon();
      }
    } else if (event.path === paths.sharding && event.type !== 'NODE_REMOVED') {
      // (Fires that reshard read the new assignment themselves; this is for one made between fires.)
      setTimeout(
        () => inBackground(this.actions.adoptNewAssignment(), paths.jobName, 'reading the new assignment'),
        RESHARD_MARGIN_MS,
      ).unref();
    }
  }

  /**
   * An instance left: once the leader's reshard flag is old enough for every instance to have seen it, the leader
   * reshards without waiting for the next fire, if that fire is far enough (`ReshardService.reshardBetweenFires`).
   */
  private reshardSoon(): void {
    setTimeout(() => {
      if (this.actions.isStopping() || !this.leader.isLeader()) {
        return;
      }
      const work = this.actions.reshardBetweenFires(this.actions.nextFire());
      inBackground(work, this.paths.jobName, 'resharding between fires');
    }, RESHARD_MARGIN_MS * 2).unref();
  }
}
