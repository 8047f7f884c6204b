import { ignoring, RegistryCenter, TreeCache } from '../registry-center';
import { sleep } from '../utils';
import { JobNodePath, parseRunningMarker, recordedFire } from '../storage';
import { logger } from '../elastic-job.logger';

/** How long the sweep waits before it takes the markers of an instance that is missing as left by a dead one. */
export const SWEEP_GRACE_MS = 500;

/**
 * Failover of one job. Items whose run was cut short (their instance died, lost its lease, or left before they
 * finished) wait under `leader/failover/items/{item}`, holding the marker of the interrupted run. An idle instance
 * claims one with the ephemeral `sharding/{item}/failover` (created exclusively: the latch that lets only one claim
 * it), runs it once, and clears the claim; if it dies on the way, its own marker puts the item back in the queue.
 */
export class FailoverService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly instanceId: string,
  ) {}

  /** Queued items, from the cache, in order. */
  queuedItems(): number[] {
    return this.cache
      .getChildren(this.paths.leaderFailoverItems)
      .map(Number)
      .filter((item) => Number.isInteger(item) && item >= 0)
      .sort((a, b) => a - b);
  }

  /** The marker of the interrupted run an entry stands for, from the cache. */
  origin(item: number): string | undefined {
    return this.cache.get(this.paths.leaderFailoverItem(item));
  }

  /** Queues an item whose run was interrupted; `origin` is that run's marker. Already queued: nothing changes. */
  async enqueue(item: number, origin: string): Promise<void> {
    // In this session only: an entry written late, in a new session, could follow one already run.
    await this.registry.createAndGet(this.paths.leaderFailoverItem(item), origin);
  }

  /** Takes an entry back (its run finished after all); only the entry for `origin`. */
  async cancel(item: number, origin: string): Promise<void> {
    const node = await this.registry.getNode(this.paths.leaderFailoverItem(item));
    if (node?.data === origin) {
      await this.registry
        .remove(this.paths.leaderFailoverItem(item), { version: node.stat.version })
        .catch(ignoring('BAD_VERSION'));
    }
  }

  /** Claims a queued item for this instance; `false` when another instance has it. */
  async claim(item: number): Promise<boolean> {
    const { created } = await this.registry.createAndGet(this.paths.failover(item), this.instanceId, 'EPHEMERAL');
    return created;
  }

  /** Whether the entry for `origin` is still queued (read from ZooKeeper: a cancel must be seen). */
  async isQueued(item: number, origin: string): Promise<boolean> {
    return (await this.registry.get(this.paths.leaderFailoverItem(item))) === origin;
  }

  /** The claimed run has its own marker now: the entry can go, and `failovering` shows who runs it. */
  async begin(item: number): Promise<void> {
    await this.registry.remove(this.paths.leaderFailoverItem(item));
    await this.registry
      .create(this.paths.failovering(item), this.instanceId, 'EPHEMERAL')
      .catch(ignoring('NODE_EXISTS'));
  }

  /** Clears this instance's claim of an item. */
  async release(item: number): Promise<void> {
    for (const path of [this.paths.failovering(item), this.paths.failover(item)]) {
      if ((await this.registry.get(path)) === this.instanceId) {
        await this.registry.remove(path);
      }
    }
  }

  /**
   * The leader's sweep: a persistent `running` marker whose instance has no instance node was left by an instance that
   * died in the middle of the item. With `failover` the item is queued; the marker is removed either way, so that the
   * item can run again. An instance that is alive again (a new session) cleans up its old markers itself, so an
   * instance missing is looked at twice, `SWEEP_GRACE_MS` apart (it may be re-registering). Returns the items found.
   */
  async recoverCrashed(failover: boolean): Promise<number[]> {
    const candidates = await this.orphanedMarkers();
    if (candidates.length === 0) {
      return [];
    }
    await sleep(SWEEP_GRACE_MS);
    const live = new Set(await this.registry.getChildren(this.paths.instances));
    const found: number[] = [];
    for (const item of candidates) {
      const node = await this.registry.getNode(this.paths.running(item));
      const marker = parseRunningMarker(node?.data);
      // Ephemeral markers belong to a live session (an instance leaving gracefully): not crashed.
      if (!node || !marker || node.stat.ephemeralOwner !== '0' || live.has(marker.instanceId)) {
        continue;
      }
      if (failover) {
        await this.enqueue(item, node.data);
        await this.dropRecordedFire(item, marker.fireTime);
      }
      await this.registry
        .remove(this.paths.running(item), { version: node.stat.version })
        .catch(ignoring('BAD_VERSION'));
      found.push(item);
    }
    if (found.length > 0) {
      logger.warn(
        `Job "${this.paths.jobName}": item(s) ${found} were running on an instance that is gone` +
          (failover ? '; queued for failover' : '; they run at their next fire (failover is off)'),
      );
    }
    return found;
  }

  /**
   * A missed fire recorded for the item that the interrupted run stands for (its run was the one cut short here): the
   * failover run replaces it, so it is not run once more.
   */
  private async dropRecordedFire(item: number, fireTime: number): Promise<void> {
    const node = await this.registry.getNode(this.paths.misfire(item));
    const recorded = recordedFire(node?.data);
    if (node && recorded !== undefined && recorded <= fireTime) {
      await this.registry
        .remove(this.paths.misfire(item), { version: node.stat.version })
        .catch(ignoring('BAD_VERSION'));
    }
  }

  /** Items whose cached `running` marker names an instance without an instance node (read from ZooKeeper). */
  private async orphanedMarkers(): Promise<number[]> {
    const live = new Set(await this.registry.getChildren(this.paths.instances));
    return this.cache
      .getChildren(this.paths.sharding)
      .map(Number)
      .filter((item) => {
        const marker = parseRunningMarker(this.cache.get(this.paths.running(item)));
        return Number.isInteger(item) && marker !== undefined && !live.has(marker.instanceId);
      });
  }
}
