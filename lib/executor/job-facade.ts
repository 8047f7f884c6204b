import type { RunClaim } from '../execution';
import type { JobErrorHandler, ResolvedJobConfiguration } from '../interfaces';

export type { RunClaim } from '../execution';

/**
 * All the executor sees of coordination, for one job on this instance (ElasticJob's `JobFacade`): the live
 * configuration, whether this instance may run now, its items and their assignment, the `running` markers, and
 * failover. The per-job scheduler implements it over the registry's services; the executor holds no service.
 */
export interface JobFacade {
  /** The configuration in force, replaced when it changes in the registry (the facade is its one owner). */
  readonly config: ResolvedJobConfiguration;
  readonly instanceId: string;
  /** The parameter of an item (`shardingItemParameters`), or `''`. */
  shardingParameter(item: number): string;
  errorHandler(): JobErrorHandler;

  /** Whether this instance holds its lease (no item starts without it); and the session it is held in. */
  hasLease(): boolean;
  sessionId(): string;
  /** Whether the clock is within `maxTimeDiffSeconds` of ZooKeeper's (always, when not checked). */
  isClockOk(): boolean;
  isServerEnabled(): boolean;
  /**
   * Whether this instance runs the fire: its server is enabled, or was switched off so shortly before the fire that
   * the fire does not reshard without it (then the assignment in force runs the fire, its items included).
   */
  mayRunFire(fireTime: number): boolean;

  /** Whether the fire at `fireTime` reshards first; whether the assignment in use is older than the registry's. */
  isShardingNecessary(fireTime: number): boolean;
  isAssignmentStale(): boolean;
  /** Reshards if flagged (as the leader, or waiting for it), then reads this instance's items if they changed. */
  prepareFire(fireTime: number): Promise<void>;
  /** As the leader, reshards between fires when it may; resolves whether it did. */
  reshardBetweenFires(nextFire: number | undefined): Promise<boolean>;
  /** Reads this instance's items from the registry. */
  refreshAssignment(): Promise<void>;
  /** The stamp of the assignment in use (the fire it was made for), and of the registry's, read from it. */
  readonly assignmentFireTime: number;
  registryAssignmentStamp(): Promise<number>;
  /** This instance's items, minus disabled ones. */
  localItems(): readonly number[];
  /** The fencing token of a run without a `running` marker. */
  assignmentToken(item: number): number;
  /** Missed fires a reshard recorded for this instance's items, once. */
  takeRecordedFires(): ReadonlyMap<number, number> | undefined;

  /** Whether another instance (or session) marks the item running; the fire of that run if known. */
  isRunningElsewhere(item: number): boolean;
  fireRunningElsewhere(item: number): number | undefined;
  /** Writes the markers of starting items; the claims made (an item marked elsewhere is left out). */
  registerStart(items: readonly number[], fireTime: number): Promise<RunClaim[]>;
  /** Marks one item running (a failover run); `undefined` while someone else has it marked. */
  claimRun(item: number, fireTime: number): Promise<RunClaim | undefined>;
  registerComplete(claims: readonly RunClaim[]): Promise<void>;
  /** Cleans up after a run whose marker was written in an earlier session; `handOver` first queues it for failover. */
  releaseForeign(claim: RunClaim, handOver: boolean): Promise<void>;
  /** Before a graceful leave: the markers become ephemeral. */
  markLeaving(claims: readonly RunClaim[]): Promise<void>;
  /** Resolves when the item's `running` marker is gone, `stopped()` holds, or `timeoutMs` has passed. */
  waitForRunEnd(item: number, stopped: () => boolean, timeoutMs: number): Promise<void>;
  markMisfire(item: number): Promise<void>;
  clearMisfire(item: number): Promise<void>;

  /** Items queued for failover, and the marker of the run each stands for. */
  queuedFailoverItems(): number[];
  failoverOrigin(item: number): string | undefined;
  /** Claims a queued item (`false`: another instance has it); whether the entry for `origin` is still queued. */
  claimFailover(item: number): Promise<boolean>;
  isFailoverQueued(item: number, origin: string): Promise<boolean>;
  /** The claimed item's run has its marker: the entry goes. */
  beginFailover(item: number): Promise<void>;
  /** Clears this instance's claim of an item. */
  releaseFailover(item: number): Promise<void>;
  /** Queues an interrupted run for failover; takes an entry back (the run finished after all). */
  enqueueFailover(item: number, origin: string): Promise<void>;
  cancelFailover(item: number, origin: string): Promise<void>;
}
