import { inBackground } from '../elastic-job.logger';
import { TreeCacheEvent } from '../registry-center';
import { isTopologyChange, JobNodePath, RegistryEventListener } from '../storage';
import { LeaderService } from './leader.service';

/** What the election needs of the job. */
export interface ElectionActions {
  /** Whether this instance's server is enabled (a disabled server neither leads nor runs). */
  isServerEnabled(): boolean;
  isStopping(): boolean;
  /** This instance has just become the leader: it does not know what changed while there was none. */
  elected(): Promise<void>;
}

/**
 * Keeps the job led: when the leader's node goes every enabled instance tries to lead, a leader whose server was
 * switched off gives the leadership up, and an instance that sees a change of instances or servers with no leader
 * tries too.
 */
export class ElectionListener implements RegistryEventListener {
  constructor(
    private readonly leader: LeaderService,
    private readonly paths: JobNodePath,
    private readonly ownInstancePath: string,
    private readonly actions: ElectionActions,
  ) {}

  /** Tries to lead; resolves whether this instance leads now. */
  async elect(): Promise<boolean> {
    if (this.actions.isStopping()) {
      return false;
    }
    const elected = await this.leader.elect();
    if (elected) {
      await this.actions.elected();
    }
    return elected;
  }

  onEvent(event: TreeCacheEvent): void {
    const { paths, leader, actions } = this;
    const name = paths.jobName;
    if (event.path === paths.leaderElectionInstance) {
      if (event.type === 'NODE_REMOVED' && actions.isServerEnabled()) {
        inBackground(this.elect(), name, 'leader election');
      }
    } else if (isTopologyChange(event, paths, this.ownInstancePath)) {
      if (leader.isLeader()) {
        if (!actions.isServerEnabled()) {
          inBackground(leader.resign(), name, 'resigning the leadership of a disabled server');
        }
      } else if (!leader.hasLeader() && actions.isServerEnabled()) {
        inBackground(this.elect(), name, 'leader election');
      }
    }
  }
}
