import { ResolvedJobConfiguration } from '../interfaces';
import { ignoring, LEASE_FRACTION, RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import { CompiledCron, compileJobCron, latestFireBetween } from '../cron';
import { ExecutionService } from '../execution';
import { JobNodePath } from '../storage';
import { logger } from '../elastic-job.logger';

// How soon after its instance node went a leaving mark still explains it.
const MARK_FOLLOWS_MS = 5_000;

/**
 * One departure of an instance, seen at `seenAt`. It started no item of the job after `since`; for a session that
 * ended (`since` undefined) that follows from the session timeout, see `missedSince`.
 */
interface Departure {
  readonly seenAt: number;
  readonly since?: number;
}

/**
 * When instances of one job stopped firing: the record a reshard uses to tell which fires of a departed owner's items
 * nobody started, so that the item's next owner runs the latest of them once (`ShardingService`). Kept in memory from
 * the cache's events; nothing is written per fire.
 *
 * - An instance node removed while the instance has no leaving mark: its session ended (a crash, or cut off). The
 *   server expires a session no sooner than one session timeout after the last request it received. With
 *   `monitorExecution` the instance wrote the `running` marker of every run before starting it: it started nothing
 *   after `seen - session timeout`. Without, it starts nothing once its lease is lost, half a session timeout after
 *   its last request was answered: nothing after `seen - session timeout / 2`.
 * - A leaving mark removed: the instance stopped firing by then, and at the latest at the deadline the mark holds (the
 *   end of its grace period); whichever is earlier.
 * - This instance's own earlier session (expired, or given up): it started nothing after it lost its lease.
 *
 * An instance that is gone before this one started is not known here: fires it missed are not made up.
 */
export class DepartureService {
  // Made on first use: most jobs never see a departure.
  private departures?: Map<string, Departure[]>;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly execution: ExecutionService,
    private readonly instanceId: string,
  ) {}

  /** Notes departures from the cache's events (before the rooms' listeners see them). */
  onEvent({ type, path, data }: TreeCacheEvent): void {
    const { cache, paths } = this;
    const departed = type === 'NODE_REMOVED' ? paths.instanceIdOf(path) : undefined;
    const id = departed === undefined ? paths.leavingIdOf(path) : undefined;
    if (departed !== undefined) {
      if (!cache.has(paths.leaving(departed))) {
        this.record(departed, Date.now(), undefined);
      }
    } else if (id !== undefined) {
      if (type === 'NODE_ADDED') {
        // It is alive and fires until the others reshard: the removal of its node just now was not its session
        // ending (an operator's shutdown removes the node first; the mark follows within milliseconds).
        const explained = Date.now() - MARK_FOLLOWS_MS;
        this.keep(id, (departure) => departure.seenAt < explained);
      } else if (type === 'NODE_REMOVED') {
        const now = Date.now();
        this.record(id, now, Math.min(now, Number(data) || now));
      }
    }
  }

  /**
   * The time after which `instanceId` can have started no item, if it departed after `after` (the stamp of the
   * assignment that names it); `undefined` when it did not, or still fires (it is leaving and has not stopped yet).
   */
  missedSince(instanceId: string, after: number, monitorExecution: boolean): number | undefined {
    if (this.cache.has(this.paths.leaving(instanceId))) {
      return undefined;
    }
    const seen = this.departures?.get(instanceId)?.filter((departure) => departure.seenAt > after) ?? [];
    if (seen.length === 0) {
      return undefined;
    }
    const silent = this.registry.sessionTimeout * (monitorExecution ? 1 : 1 - LEASE_FRACTION);
    return Math.min(...seen.map(({ seenAt, since }) => since ?? seenAt - silent));
  }

  /**
   * Before a new assignment for the fire `until`: for each item whose owner under the assignment in force departed
   * since it was made, the latest fire due after the owner can have started anything and before
   * `until` was started by nobody; it is recorded for the item's next owner, who runs it once (with `misfire`).
   */
  async recordMissedFires(
    config: ResolvedJobConfiguration,
    owners: ReadonlyArray<string | null>,
    until: number,
  ): Promise<void> {
    if (!config.misfire || !config.cron || !this.departures) {
      return;
    }
    // The stamp of the assignment in force: departures before it are not of its owners' sessions.
    const stamp = Number(await this.registry.get(this.paths.sharding)) || 0;
    let cron: CompiledCron | undefined;
    const recorded: string[] = [];
    for (let item = 0; item < owners.length; item++) {
      const owner = owners[item];
      const since = owner ? this.missedSince(owner, stamp, config.monitorExecution) : undefined;
      if (since === undefined || this.cache.has(this.paths.disabledItem(item))) {
        continue;
      }
      cron ??= compileJobCron(config.cron, config.timeZone);
      const fireTime = latestFireBetween(cron, Math.max(since, stamp - 1), until);
      if (fireTime !== undefined) {
        await this.execution.recordMissedFire(item, fireTime);
        recorded.push(`${item} (${new Date(fireTime).toISOString()}, owner ${owner})`);
      }
    }
    if (recorded.length > 0) {
      logger.warn(
        `Job "${config.name}": fires due while their owner was gone, started by nobody; the new owner runs them once: ` +
          `item(s) ${recorded.join(', ')}`,
      );
    }
  }

  /** This instance's earlier session is over: it started nothing after `since` (when it lost its lease). */
  recordOwnSession(since: number): void {
    this.record(this.instanceId, Date.now(), since);
  }

  /** Forgets departures seen before `before` (an assignment stamped then no longer names those sessions). */
  prune(before: number): void {
    for (const id of [...(this.departures?.keys() ?? [])]) {
      this.keep(id, (departure) => departure.seenAt > before);
    }
  }

  /** Before this instance leaves the instance list while still firing: the mark, holding when it stops at the latest. */
  async markLeaving(deadline: number): Promise<void> {
    await this.registry
      .create(this.paths.leaving(this.instanceId), String(deadline), 'EPHEMERAL')
      .catch(ignoring('NODE_EXISTS'));
  }

  /** This instance has stopped firing the job. */
  async clearLeaving(): Promise<void> {
    await this.registry.remove(this.paths.leaving(this.instanceId));
  }

  /** Keeps the departures of `instanceId` that `wanted` accepts. */
  private keep(instanceId: string, wanted: (departure: Departure) => boolean): void {
    const kept = this.departures?.get(instanceId)?.filter(wanted) ?? [];
    if (kept.length > 0) {
      this.departures!.set(instanceId, kept);
    } else {
      this.departures?.delete(instanceId);
    }
  }

  private record(instanceId: string, seenAt: number, since: number | undefined): void {
    const map = (this.departures ??= new Map());
    map.set(instanceId, [...(map.get(instanceId) ?? []), { seenAt, since }]);
  }
}
