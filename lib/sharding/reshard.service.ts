import { LeaderService } from '../election';
import { DepartureService, InstanceIdentity } from '../instance';
import { ResolvedJobConfiguration } from '../interfaces';
import { hasCode, ignoring, RegistryCenter, TreeCache } from '../registry-center';
import { ipOf, JobNodePath, parseRunningMarker, waitForCache } from '../storage';
import { availableOf, BETWEEN_FIRES_MS, SHARDING_WAIT_MS, ShardingService } from './sharding.service';
import type { JobShardingStrategy } from './strategy';
import { logger } from '../elastic-job.logger';
import type { JobEventBus } from '../executor';

/** How long a follower waits for a reshard once the leader has begun it (it holds `processing`). */
const LEADER_RESHARD_WAIT_MS = 3 * SHARDING_WAIT_MS;

/**
 * The leader's side of sharding: at a flagged fire the leader computes the assignment with the job's strategy and
 * writes it (`sharding/{i}/instance`, then the stamp), while the followers wait for it, as ElasticJob Lite does, but
 * never without a deadline; also at once when the leader is alone, and between fires after an instance left.
 */
export class ReshardService {
  private resharding?: Promise<boolean>;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly identity: InstanceIdentity,
    private readonly leader: LeaderService,
    private readonly sharding: ShardingService,
    private readonly departures: DepartureService,
    private readonly events?: JobEventBus,
  ) {}

  /**
   * Prepares the fire at `fireTime`: reshards if flagged (the leader computes and writes the assignment, a follower
   * waits for it), then reads this instance's items if the assignment changed.
   */
  async prepare(config: ResolvedJobConfiguration, strategy: JobShardingStrategy, fireTime: number): Promise<void> {
    let resharded = false;
    if (this.sharding.isShardingNecessary(fireTime) && this.sharding.availableInstances().length > 0) {
      const reshardAsLeader = () => {
        this.resharding ??= this.reshard(config, strategy, fireTime).finally(() => (this.resharding = undefined));
        return this.resharding;
      };
      if (!(this.leader.isLeader() && (await reshardAsLeader()))) {
        await this.waitForLeader(config, fireTime);
        // Elected while waiting: the reshard is ours.
        if (this.leader.isLeader() && this.sharding.isShardingNecessary(fireTime)) {
          await reshardAsLeader();
        }
      }
      resharded = true;
    }
    if (resharded || this.sharding.isStale()) {
      await this.sharding.refresh(config.shardingTotalCount);
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
      !this.sharding.isShardingNecessary(now) ||
      this.sharding.availableInstances().length === 0 ||
      (nextFire !== undefined && nextFire - now < BETWEEN_FIRES_MS) ||
      (config.monitorExecution && this.hasRunningItems(config.shardingTotalCount))
    ) {
      return false;
    }
    this.resharding ??= this.reshard(config, strategy, now).finally(() => (this.resharding = undefined));
    if (!(await this.resharding)) {
      return false;
    }
    await this.sharding.refresh(config.shardingTotalCount);
    return true;
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
    await this.sharding.refresh(config.shardingTotalCount);
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
   * Waits for the leader's reshard: `SHARDING_WAIT_MS` for one to begin, then as long as the leader holds `processing`
   * (ephemeral, so it ends with the leader), up to `LEADER_RESHARD_WAIT_MS`. A leader waits up to `SHARDING_WAIT_MS`
   * for running items before it writes, so a follower must wait longer than that once the reshard has begun, or it
   * would run the fire under the old assignment while the leader runs it under the new one.
   */
  private async waitForLeader(config: ResolvedJobConfiguration, fireTime: number): Promise<void> {
    const processing = this.paths.leaderShardingProcessing;
    const done = () =>
      this.leader.isLeader() || (!this.sharding.isShardingNecessary(fireTime) && !this.cache.has(processing));
    const begun = await waitForCache(this.cache, () => done() || this.cache.has(processing), SHARDING_WAIT_MS);
    if (begun && (await waitForCache(this.cache, done, LEADER_RESHARD_WAIT_MS))) {
      return;
    }
    logger.warn(
      `Job "${config.name}": no reshard by a leader within ${begun ? LEADER_RESHARD_WAIT_MS : SHARDING_WAIT_MS} ms (leader: ${
        this.cache.get(this.paths.leaderElectionInstance) ?? 'none'
      }); running with the current assignment`,
    );
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
      if (this.events?.active) {
        this.events.post({
          kind: 'reshard',
          jobName: config.name,
          shardingTotalCount: total,
          instances: instances.length,
          time: Date.now(),
        });
      }
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
