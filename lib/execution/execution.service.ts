import { ignoring, RegistryCenter, TreeCache } from '../registry-center';
import { JobNodePath, parseRunningMarker, recordedFire, runningMarkerPrefix } from '../storage';

/** How one item's run was started: the marker it wrote, and the zxid of that write (its fencing token). */
export interface RunClaim {
  readonly item: number;
  /** The marker's data: `{instanceId} {sessionId} {fireTime}`. */
  readonly marker: string;
  /** The session the marker was written in: only that session may remove it. */
  readonly sessionId: string;
  /** The fire the run belongs to. */
  readonly fireTime: number;
  readonly token: number;
}

/**
 * `sharding/{item}/running` markers, written while items run when `monitorExecution` is on. A marker names the
 * instance, its ZooKeeper session and the fire. With `failover` it is persistent: if the instance dies, the marker
 * stays as the record of what it was running (the leader finds it and hands it to failover); an instance leaving
 * gracefully turns its markers ephemeral first (`markLeaving`), since they outlive its instance node for the grace
 * period. Without `failover` it is ephemeral, as ElasticJob writes it: it goes with the session of an instance that
 * dies (nobody would take the item over, and a persistent one would stall an ElasticJob leader for ever).
 */
export class ExecutionService {
  private prefix = '';
  private prefixSession = '';
  private leaving = false;
  // The fire of the run that held the marker when a claim of ours lost, until asked (`fireRunningElsewhere`).
  private lostClaims?: Map<number, number>;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly instanceId: string,
  ) {}

  /** The start of this session's markers: `{instanceId} {sessionId} `. */
  private ownPrefix(): string {
    const session = this.registry.getSessionId();
    if (session !== this.prefixSession) {
      this.prefixSession = session;
      this.prefix = runningMarkerPrefix(this.instanceId, session);
    }
    return this.prefix;
  }

  /**
   * Whether the item is marked running by someone else (another instance, or an earlier session of this one whose
   * marker the leader has not cleared yet), from the cache.
   */
  isRunningElsewhere(item: number): boolean {
    const marker = this.cache.get(this.paths.running(item));
    return marker !== undefined && !marker.startsWith(this.ownPrefix());
  }

  /**
   * The fire of the item's run marked by someone else (0 for a marker that names none, as ElasticJob's), or
   * `undefined` when nobody else has it marked: from the cache, or from the answer to a claim it won over ours.
   */
  fireRunningElsewhere(item: number): number | undefined {
    const marker = this.cache.get(this.paths.running(item));
    if (marker !== undefined && !marker.startsWith(this.ownPrefix())) {
      return parseRunningMarker(marker)?.fireTime ?? 0;
    }
    const lost = this.lostClaims?.get(item);
    this.lostClaims?.delete(item);
    return lost;
  }

  /**
   * Marks items running before they start, so that other instances and later fires see them. Returns the claims
   * made; an item marked by someone else is left out (it is running there).
   */
  async registerStart(items: readonly number[], fireTime: number, failover: boolean): Promise<RunClaim[]> {
    const claims = await Promise.all(items.map((item) => this.claim(item, fireTime, failover)));
    return claims.filter((claim): claim is RunClaim => claim !== undefined);
  }

  /** Marks one item running; `undefined` when someone else has it marked. */
  async claim(item: number, fireTime: number, failover: boolean): Promise<RunClaim | undefined> {
    const path = this.paths.running(item);
    const prefix = this.ownPrefix();
    const marker = `${prefix}${fireTime}`;
    // (createAndGet runs in the session current now, the one the marker names, or fails.)
    const mode = this.leaving || !failover ? 'EPHEMERAL' : 'PERSISTENT';
    let outcome = await this.registry.createAndGet(path, marker, mode);
    if (!outcome.created && outcome.node?.data.startsWith(prefix) && outcome.node.data !== marker) {
      // Left by this session (a removal that failed): this instance does not run the item now, so take it over.
      await this.registry.remove(path, { sessionId: this.prefixSession });
      outcome = await this.registry.createAndGet(path, marker, mode);
    }
    const node = outcome.node;
    if (!node || node.data !== marker) {
      if (node) {
        (this.lostClaims ??= new Map()).set(item, parseRunningMarker(node.data)?.fireTime ?? 0);
      }
      return undefined;
    }
    return { item, marker, sessionId: this.prefixSession, fireTime, token: node.stat.czxid };
  }

  /** Removes the markers of finished runs written in this session (see `releaseForeign` for earlier ones). */
  async registerComplete(claims: readonly RunClaim[]): Promise<void> {
    const session = this.registry.getSessionId();
    await Promise.all(
      claims
        .filter((claim) => claim.sessionId === session)
        .map((claim) => this.registry.remove(this.paths.running(claim.item), { sessionId: claim.sessionId })),
    );
  }

  /**
   * Cleans up after a run whose marker was written in an earlier session of this instance (the session expired or was
   * given up meanwhile): if the marker is still that run's, `handOver` runs first (failover of an interrupted run),
   * then the marker goes. The leader leaves the markers of a live instance to the instance itself.
   */
  async releaseForeign(claim: RunClaim, handOver?: () => Promise<void>): Promise<void> {
    const path = this.paths.running(claim.item);
    const node = await this.registry.getNode(path);
    if (node?.data !== claim.marker) {
      return;
    }
    await handOver?.();
    await this.registry.remove(path, { version: node.stat.version }).catch(ignoring('BAD_VERSION'));
  }

  /**
   * Before this instance leaves gracefully: markers written from now on are ephemeral, and those of `claims` are made
   * ephemeral, so that the leader, seeing this instance's node go, does not take items that still run here for the
   * grace period; should the process die meanwhile, they go with its session (their failover entries stay).
   */
  async markLeaving(claims: readonly RunClaim[]): Promise<void> {
    this.leaving = true;
    const session = this.registry.getSessionId();
    for (const claim of claims.filter((c) => c.sessionId === session)) {
      const path = this.paths.running(claim.item);
      await this.registry.remove(path);
      await this.registry.create(path, claim.marker, 'EPHEMERAL').catch(ignoring('NODE_EXISTS'));
    }
  }

  /** Notes a fire missed because the item was still running (`sharding/{item}/misfire`). */
  async setMisfire(item: number): Promise<void> {
    if (!this.cache.has(this.paths.misfire(item))) {
      await this.registry.persist(this.paths.misfire(item), '');
    }
  }

  /**
   * Records that the fire `fireTime` of the item was due while its owner was gone and nobody started it
   * (`sharding/{item}/misfire`, holding the fire): its next owner runs it once. A later fire already recorded wins.
   */
  async recordMissedFire(item: number, fireTime: number): Promise<void> {
    const recorded = recordedFire(await this.registry.get(this.paths.misfire(item)));
    if (recorded === undefined || recorded < fireTime) {
      await this.registry.persist(this.paths.misfire(item), String(fireTime));
    }
  }

  /** The missed fires recorded for `items` (read from ZooKeeper: the record is written just before the assignment). */
  async recordedMissedFires(items: readonly number[]): Promise<Map<number, number>> {
    const records = await Promise.all(items.map((item) => this.registry.get(this.paths.misfire(item))));
    const fires = new Map<number, number>();
    records.forEach((data, i) => {
      const fireTime = recordedFire(data);
      if (fireTime !== undefined) {
        fires.set(items[i], fireTime);
      }
    });
    return fires;
  }

  async clearMisfire(item: number): Promise<void> {
    if (this.cache.has(this.paths.misfire(item))) {
      await this.registry.remove(this.paths.misfire(item));
    }
  }
}
