import { hasCode, RegistryCenter, TreeCache } from '../registry-center';
import { InstanceIdentity } from '../instance';
import { JobNodePath } from '../storage';

/**
 * Leader election of one job: the first enabled instance to create the ephemeral `leader/election/instance` (holding
 * its instance id) leads; ZooKeeper's create is the latch. When the node goes (the leader left, crashed or resigned)
 * every live instance tries again.
 */
export class LeaderService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly identity: InstanceIdentity,
  ) {}

  isLeader(): boolean {
    return this.cache.get(this.paths.leaderElectionInstance) === this.identity.instanceId;
  }

  /** Leadership checked in ZooKeeper itself (the cache may not have seen a fresh election yet). */
  async isLeaderInRegistry(): Promise<boolean> {
    return (await this.registry.get(this.paths.leaderElectionInstance)) === this.identity.instanceId;
  }

  hasLeader(): boolean {
    return this.cache.has(this.paths.leaderElectionInstance);
  }

  /** Tries to become the leader; resolves whether this instance leads now. */
  elect(): Promise<boolean> {
    return LeaderService.tryElect(this.registry, this.paths, this.identity);
  }

  /** The election itself, usable before the job's cache exists (at start-up). */
  static async tryElect(registry: RegistryCenter, paths: JobNodePath, identity: InstanceIdentity): Promise<boolean> {
    try {
      await registry.create(paths.leaderElectionInstance, identity.instanceId, 'EPHEMERAL');
      return true;
    } catch (error) {
      if (!hasCode(error, 'NODE_EXISTS')) {
        throw error;
      }
      return (await registry.get(paths.leaderElectionInstance)) === identity.instanceId;
    }
  }

  /** Gives up leadership (if held), so that another instance is elected at once. */
  async resign(): Promise<void> {
    if ((await this.registry.get(this.paths.leaderElectionInstance)) === this.identity.instanceId) {
      await this.registry.remove(this.paths.leaderElectionInstance);
    }
  }
}
