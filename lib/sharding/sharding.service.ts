import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from '../elastic-job.constants';
import { ResolvedJobConfiguration } from '../interfaces';
import { hasCode, ignoring, RegistryCenter, TreeCache } from '../registry-center';
import type { JobShardingStrategy } from './strategy/job-sharding-strategy.interface';
import { waitForCache } from '../storage';
import { DepartureService } from '../instance';
import { ExecutionService, parseRunningMarker } from '../execution';
import { InstanceIdentity, ipOf } from '../instance';
import { JobNodePath } from '../storage';
import { LeaderService } from '../election';
import { SERVER_DISABLED } from '../server';

// One logger for all jobs.
const logger = new Logger(LOGGER_CONTEXT);

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
 * Which sharding items this instance runs, and resharding. When the instances, the servers or the item count change,
 * the leader sets `leader/sharding/necessary`; at the next fire the leader recomputes the assignment
 * (`sharding/{i}/instance`) while the followers wait for it, as ElasticJob Lite does, but never without a deadline.
 * The leader stamps each new assignment with the fire it is for (the data of `sharding`), and an instance that sees a
 * new stamp reads its items from ZooKeeper rather than from a cache that may still be catching up, so every
 * instance uses the same assignment for the same fire.
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
  private resharding?: Promise<boolean>;
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
    private readonly leader: LeaderService,
    private readonly execution: ExecutionService,
    private readonly departures: DepartureService,
  ) {
    this.shardingPath = paths.sharding;
    this.flagPath = paths.leaderShardingNecessary;
    this.flagCtime = cache.getStat(this.flagPath)?.ctime;
    this.cachedEpoch = cache.get(this.shardingPath);
    const prefix = `${paths.sharding}/`;
    cache.subscribe((event) => {
      if (event.path === this.flagPath) {
        this.flagCtime = event.type === 'NODE_REMOVED' ? undefined : cache.getStat(this.flagPath)?.ctime;
      } else if (event.path === this.shardingPath) {
        this.cachedEpoch = event.type === 'NODE_REMOVED' ? undefined : event.data;
      } else if (event.path.startsWith(prefix) && event.path.endsWith('/disabled')) {
        this.items = undefined;
      }
    });
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

  /**
   * Prepares the fire at `fireTime`: reshards if flagged (the leader computes and writes the assignment, a follower
   * waits for it), then reads this instance's items if the assignment changed.
   */
  async prepare(config: ResolvedJobConfiguration, strategy: JobShardingStrategy, fireTime: number): Promise<void> {
    let resharded = false;
    if (this.isShardingNecessary(fireTime) && this.availableInstances().length > 0) {
      const reshardAsLeader = () => {
        this.resharding ??= this.reshard(config, strategy, fireTime).finally(() => (this.resharding = undefined));
        return this.resharding;
      };
      if (!(this.leader.isLeader() && (await reshardAsLeader()))) {
        await this.waitForLeader(config, fireTime);
        // Elected while waiting: the reshard is ours.
        if (this.leader.isLeader() && this.isShardingNecessary(fireTime)) {
          await reshardAsLeader();
        }
      }
      resharded = true;
    }
    if (resharded || this.isStale()) {
      await this.refresh(config.shardingTotalCount);
    }
  }

  /**
   * Reshards now, between fires, as the leader, when the flag has been set for the margin and the next fire is at
   * least `BETWEEN_FIRES_MS` away (`undefined`: the job has no cron) and no item runs: the items of an instance that
   * left get their new owners at once instead of at the next fire (and with them the fires it missed). Resolves
   * whether it did; otherwise the next fire reshards as usual.
   */
  async reshardBetweenFires(
    config: ResolvedJobConfiguration,
    strategy: JobShardingStrategy,
    nextFire: number | undefined,
  ): Promise<boolean> {
    const now = Date.now();
    if (
      !this.leader.isLeader() ||
      !this.isShardingNecessary(now) ||
      this.availableInstances().length === 0 ||
      (nextFire !== undefined && nextFire - now < BETWEEN_FIRES_MS) ||
      (config.monitorExecution && this.hasRunningItems(config.shardingTotalCount))
    ) {
      return false;
    }
    this.resharding ??= this.reshard(config, strategy, now).finally(() => (this.resharding = undefined));
    if (!(await this.resharding)) {
      return false;
    }
    await this.refresh(config.shardingTotalCount);
    return true;
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
   * Shards at once, without waiting for a fire, if this instance is the leader and the only instance (a job starting
   * alone): nobody else runs the job, so no fire can see two assignments, and no reshard flag is needed. Resolves
   * whether it did; if not, the caller sets the flag and the next fire reshards. An instance joining meanwhile is seen
   * by the leader's cache, which sets the flag then.
   */
  async shardAtOnceIfAlone(config: ResolvedJobConfiguration, strategy: JobShardingStrategy): Promise<boolean> {
    const instances = await this.readAvailableInstances();
    if (
      instances.length !== 1 ||
      instances[0] !== this.identity.instanceId ||
      !(await this.leader.isLeaderInRegistry())
    ) {
      return false;
    }
    const flag = await this.registry.getNode(this.paths.leaderShardingNecessary);
    await this.writeAssignment(config, strategy, instances, Date.now());
    if (flag) {
      // Left from before (a restart): it is answered now.
      await this.registry
        .remove(this.paths.leaderShardingNecessary, { version: flag.stat.version })
        .catch(ignoring('BAD_VERSION'));
    }
    await this.refresh(config.shardingTotalCount);
    return true;
  }

  /** `availableInstances`, read from ZooKeeper itself (a reshard must not miss an instance the cache has not seen). */
  private async readAvailableInstances(): Promise<string[]> {
    const instances = await this.registry.getChildren(this.paths.instances);
    const ips = instances.map(ipOf);
    const servers = await Promise.all(ips.map((ip) => this.registry.get(this.paths.server(ip))));
    return availableOf(instances, (ip) => servers[ips.indexOf(ip)]);
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

  private async waitForLeader(config: ResolvedJobConfiguration, fireTime: number): Promise<void> {
    const done = await waitForCache(
      this.cache,
      () =>
        this.leader.isLeader() ||
        (!this.isShardingNecessary(fireTime) && !this.cache.has(this.paths.leaderShardingProcessing)),
      SHARDING_WAIT_MS,
    );
    if (!done) {
      logger.warn(
        `Job "${config.name}": no reshard by a leader within ${SHARDING_WAIT_MS} ms (leader: ${
          this.cache.get(this.paths.leaderElectionInstance) ?? 'none'
        }); running with the current assignment`,
      );
    }
  }

  /**
   * Reshards as the leader; resolves `false` when it did not (another instance holds `processing`, or this one is no
   * longer the leader in ZooKeeper), in which case the caller waits like a follower. Only one instance reshards at
   * a time: `processing` is created exclusively, and leadership is checked in ZooKeeper itself, not in the cache.
   */
  private async reshard(
    config: ResolvedJobConfiguration,
    strategy: JobShardingStrategy,
    fireTime: number,
  ): Promise<boolean> {
    const total = config.shardingTotalCount;
    const flag = await this.registry.getNode(this.paths.leaderShardingNecessary);
    if (!flag) {
      return true;
    }
    try {
      await this.registry.create(this.paths.leaderShardingProcessing, this.identity.instanceId, 'EPHEMERAL');
    } catch (error) {
      if (hasCode(error, 'NODE_EXISTS')) {
        return false;
      }
      throw error;
    }
    try {
      if ((await this.registry.get(this.paths.leaderElectionInstance)) !== this.identity.instanceId) {
        return false;
      }
      if (config.monitorExecution) {
        const idle = await waitForCache(this.cache, () => !this.hasRunningItems(total), SHARDING_WAIT_MS);
        if (!idle) {
          logger.warn(`Job "${config.name}": items still running after ${SHARDING_WAIT_MS} ms; resharding anyway`);
        }
      }
      await this.writeAssignment(config, strategy, await this.readAvailableInstances(), fireTime);
      // Cleared only if nobody asked again meanwhile (then the next fire reshards once more).
      await this.registry
        .remove(this.paths.leaderShardingNecessary, { version: flag.stat.version })
        .catch(ignoring('BAD_VERSION'));
      return true;
    } finally {
      await this.registry.remove(this.paths.leaderShardingProcessing);
    }
  }

  /**
   * Writes the assignment of every item over `instances` (unless `staticSharding` keeps a complete one), removes items
   * beyond the count, and stamps it with the fire it is for, last: whoever sees the stamp reads a complete assignment.
   */
  private async writeAssignment(
    config: ResolvedJobConfiguration,
    strategy: JobShardingStrategy,
    instances: string[],
    fireTime: number,
  ): Promise<void> {
    const total = config.shardingTotalCount;
    const keep = config.staticSharding && this.hasCompleteAssignment(total);
    for (const item of this.cache.getChildren(this.paths.sharding).map(Number)) {
      if (Number.isInteger(item) && item >= total) {
        await this.registry.remove(this.paths.shardingItem(item), { recursive: true });
      }
    }
    const previous = await Promise.all(
      Array.from({ length: total }, (_, item) => this.registry.get(this.paths.shardingInstance(item))),
    );
    await this.departures.recordMissedFires(config, previous, fireTime);
    if (!keep) {
      const owners = new Map<number, string>();
      for (const [instanceId, items] of strategy.sharding(instances, config.name, total)) {
        items.forEach((item) => owners.set(item, instanceId));
      }
      for (let item = 0; item < total; item++) {
        const owner = owners.get(item);
        const path = this.paths.shardingInstance(item);
        const current = previous[item];
        if (owner === undefined) {
          await this.registry.remove(path);
        } else if (current === null) {
          await this.registry.create(path, owner).catch((error) => {
            if (!hasCode(error, 'NODE_EXISTS')) {
              throw error;
            }
            return this.registry.update(path, owner);
          });
        } else if (current !== owner) {
          await this.registry.update(path, owner);
        }
      }
      logger.log(`Job "${config.name}": resharded ${total} item(s) over ${instances.length} instance(s)`);
    }
    await this.registry.persist(this.paths.sharding, String(fireTime));
  }

  /** Whether an item runs on a live instance (markers of instances that are gone wait for failover, not for us). */
  private hasRunningItems(total: number): boolean {
    const live = new Set(this.cache.getChildren(this.paths.instances));
    for (let item = 0; item < total; item++) {
      const marker = this.cache.get(this.paths.running(item));
      if (marker !== undefined && live.has(parseRunningMarker(marker)?.instanceId ?? '')) {
        return true;
      }
    }
    return false;
  }

  private hasCompleteAssignment(total: number): boolean {
    const live = new Set(this.cache.getChildren(this.paths.instances));
    for (let item = 0; item < total; item++) {
      const owner = this.cache.get(this.paths.shardingInstance(item));
      if (owner === undefined || !live.has(owner)) {
        return false;
      }
    }
    return true;
  }
}

/** The instances whose server is not disabled, in ElasticJob's order (reverse lexicographic). */
function availableOf(instances: string[], serverStatus: (ip: string) => string | null | undefined): string[] {
  return instances
    .filter((instanceId) => serverStatus(ipOf(instanceId)) !== SERVER_DISABLED)
    .sort()
    .reverse();
}
