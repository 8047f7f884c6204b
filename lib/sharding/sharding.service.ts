import { ExecutionService } from '../execution';
import { DepartureService, InstanceIdentity } from '../instance';
import { TreeCache, RegistryCenter, TreeCacheEvent } from '../registry-center';
import { SERVER_DISABLED } from '../server';
import { ipOf, JobNodePath, waitForCache } from '../storage';

/** How long a fire waits for a reshard in progress (followers) or for running items (leader) before going on. */
export const SHARDING_WAIT_MS = 5_000;
/**
 * A reshard flag is acted on at a fire only if it was set at least this long before the fire time, so that every
 * instance has seen it by then and all of them agree on whether that fire reshards (a flag set just before a fire
 * waits for the next one). Assumes clocks within this margin of ZooKeeper's, as `maxTimeDiffSeconds` checks.
 */
export const RESHARD_MARGIN_MS = 500;
/**
 * A reshard between fires (after an instance left) is made only when the next fire is at least this far: it is
 * written well before that fire, so that every instance has seen it by then and none runs the fire under the old one.
 */
export const BETWEEN_FIRES_MS = 2_000;

/**
 * Which sharding items this instance runs. When the instances, the servers or the item count change, the leader sets
 * `leader/sharding/necessary`, and the next fire reshards (`ReshardService`). The leader stamps each new assignment
 * with the fire it is for (the data of `sharding`), and an instance that sees a new stamp reads its items from
 * ZooKeeper rather than from a cache that may still be catching up, so every instance uses the same assignment for
 * the same fire.
 */
export class ShardingService {
  // This instance's items under the assignment it last read, and the stamp of that assignment.
  private owned: readonly number[] = [];
  private ownedEpoch?: string;
  // zxids of this instance's assignments as last read from ZooKeeper (the cache catches up a moment later).
  private readonly tokens = new Map<number, number>();
  // `owned` minus disabled items, read at every fire; reset when an item switch changes.
  private items?: readonly number[];
  private itemsTotal = 0;
  // Built once; and the two values read at every fire, kept in step with the cache instead of looked up.
  private readonly shardingPath: string;
  private readonly flagPath: string;
  private flagCtime?: number;
  private cachedEpoch?: string;
  // After a new session: assignments stamped before this time are not run (see `invalidate`).
  private acceptAfter?: number;
  // Missed fires recorded for this instance's items by the last reshard, until the executor takes them.
  private recorded?: Map<number, number>;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly identity: InstanceIdentity,
    private readonly execution: ExecutionService,
    private readonly departures: DepartureService,
  ) {
    this.shardingPath = paths.sharding;
    this.flagPath = paths.leaderShardingNecessary;
    this.flagCtime = cache.getStat(this.flagPath)?.ctime;
    this.cachedEpoch = cache.get(this.shardingPath);
  }

  /** Keeps the flag's time, the stamp and the enabled items in step with the cache (before the rooms' listeners). */
  onEvent(event: TreeCacheEvent): void {
    if (event.path === this.flagPath) {
      this.flagCtime = event.type === 'NODE_REMOVED' ? undefined : this.cache.getStat(this.flagPath)?.ctime;
    } else if (event.path === this.shardingPath) {
      this.cachedEpoch = event.type === 'NODE_REMOVED' ? undefined : event.data;
    } else if (this.paths.isItemSwitch(event.path)) {
      this.items = undefined;
    }
  }

  /** Asks for a reshard at the next fire (the leader's, or a leaving instance's request). */
  async setReshardingFlag(): Promise<void> {
    await this.registry.persist(this.paths.leaderShardingNecessary, '');
  }

  /**
   * Whether the fire at `fireTime` must reshard first. Always, while the job has no assignment at all (several
   * instances started together, and a fire came within the margin of the leader's flag): with no earlier assignment
   * to run under, every instance waits for the first one instead of running nothing.
   */
  isShardingNecessary(fireTime: number): boolean {
    if (this.cachedEpoch === undefined && this.ownedEpoch === undefined) {
      return true;
    }
    return this.flagCtime !== undefined && this.flagCtime <= fireTime - RESHARD_MARGIN_MS;
  }

  /** Whether this instance's view of the assignment is older than the registry's: then `refresh` before running. */
  isStale(): boolean {
    return this.cachedEpoch !== this.ownedEpoch;
  }

  /** Items assigned to this instance, minus items disabled in the registry. Do not modify the result. */
  getLocalShardingItems(shardingTotalCount: number): readonly number[] {
    if (this.items && this.itemsTotal === shardingTotalCount) {
      return this.items;
    }
    this.items = this.owned.filter(
      (item) => item < shardingTotalCount && !this.cache.has(this.paths.disabledItem(item)),
    );
    this.itemsTotal = shardingTotalCount;
    return this.items;
  }

  /** The fire the assignment in use was made for (its stamp), or 0. */
  get assignmentFireTime(): number {
    return Number(this.ownedEpoch ?? 0) || 0;
  }

  /** The zxid of the item's assignment: the fencing token of runs without a `running` marker. */
  assignmentToken(item: number): number {
    return Math.max(this.tokens.get(item) ?? 0, this.cache.getStat(this.paths.shardingInstance(item))?.mzxid ?? 0);
  }

  /**
   * Reads this instance's items from ZooKeeper itself (not from the cache, which may lag behind a reshard), and the
   * missed fires the reshard recorded for them (`takeRecordedFires`).
   */
  async refresh(total: number): Promise<void> {
    const epoch = await this.registry.get(this.paths.sharding);
    const owners = await Promise.all(
      Array.from({ length: total }, (_, item) => this.registry.getNode(this.paths.shardingInstance(item))),
    );
    let owned = owners.flatMap((owner, item) => (owner?.data === this.identity.instanceId ? [item] : []));
    const stamp = Number(epoch) || 0;
    if (this.acceptAfter !== undefined) {
      if (stamp < this.acceptAfter) {
        owned = [];
      } else {
        this.acceptAfter = undefined;
      }
    }
    const recorded = owned.length > 0 ? await this.execution.recordedMissedFires(owned) : undefined;
    this.owned = owned;
    this.tokens.clear();
    owners.forEach((owner, item) => owner && this.tokens.set(item, owner.stat.mzxid));
    this.ownedEpoch = epoch ?? undefined;
    this.items = undefined;
    for (const [item, fireTime] of recorded ?? []) {
      (this.recorded ??= new Map()).set(item, Math.max(fireTime, this.recorded.get(item) ?? 0));
    }
    this.departures.prune(stamp);
  }

  /** The missed fires recorded for this instance's items (read at the last `refresh`), once. */
  takeRecordedFires(): ReadonlyMap<number, number> | undefined {
    const recorded = this.recorded;
    this.recorded = undefined;
    return recorded;
  }

  /**
   * A new session replaced the one this instance's assignment was read in: the items it owned may have been run by
   * others since (its old session ended, and a reshard may be under way), so it runs none until an assignment stamped
   * after now names it. Its node was written again, so the leader reshards at the next fire.
   */
  invalidate(): void {
    this.acceptAfter = Date.now();
    this.owned = [];
    this.items = undefined;
    this.ownedEpoch = undefined;
    this.tokens.clear();
    this.recorded = undefined;
  }

  /** Instances that may get items: registered, and whose server is not disabled; in ElasticJob's order. */
  availableInstances(): string[] {
    const instances = this.cache.getChildren(this.paths.instances);
    return availableOf(instances, (ip) => this.cache.get(this.paths.server(ip)));
  }

  /**
   * After `setReshardingFlag`: resolves `true` once the leader has resharded (the flag is gone), `false` after
   * `timeoutMs`. The cache sees the flag a moment after the write, so first wait for it to appear.
   */
  async waitForReshard(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const seen = await waitForCache(this.cache, () => this.cache.has(this.flagPath), Math.min(timeoutMs, 1000));
    if (!seen) {
      return !(await this.registry.exists(this.flagPath));
    }
    return waitForCache(this.cache, () => !this.cache.has(this.flagPath), Math.max(0, deadline - Date.now()));
  }
}

/** The instances whose server is not disabled, in ElasticJob's order (reverse lexicographic). */
export function availableOf(instances: string[], serverStatus: (ip: string) => string | null | undefined): string[] {
  return instances
    .filter((instanceId) => serverStatus(ipOf(instanceId)) !== SERVER_DISABLED)
    .sort()
    .reverse();
}
