import type { ExecutionSource } from './sharding-context.interface';

/**
 * What one job does on this instance: `STARTING` (being registered), `RUNNING` (registered, it fires), `DISABLED` (the
 * job or this server is disabled: registered, it fires nothing), `RENEWING` (a new session replaced an expired one and
 * the job registers again), `STOPPING` (handing over, or shut down).
 */
export type LocalJobState = 'STARTING' | 'RUNNING' | 'DISABLED' | 'RENEWING' | 'STOPPING';

/** One job on this instance, as `InstanceStatusApi.snapshot` reports it. */
export interface LocalJobStatus {
  readonly jobName: string;
  readonly state: LocalJobState;
  /** Whether this instance is the job's leader. */
  readonly leader: boolean;
  /** The items assigned to this instance (minus disabled ones). */
  readonly itemsOwned: readonly number[];
  /** The items running here now. */
  readonly runningItems: readonly number[];
  /** The last execution this instance started. */
  readonly lastFire?: { readonly fireTime: Date; readonly startTime: Date; readonly executionSource: ExecutionSource };
  /** The last item run that failed here (after its retries). */
  readonly lastFailure?: { readonly time: Date; readonly shardingItem: number; readonly message: string };
}

/** This instance's state: its connection to ZooKeeper, its lease, and its jobs. */
export interface InstanceStatus {
  readonly instanceId: string;
  /** Connected to ZooKeeper now. */
  readonly connected: boolean;
  /** Holds its lease: it may start items (see README, "The lease"). */
  readonly leaseHeld: boolean;
  /** A new session replaced an expired one and at least one job is registering again. */
  readonly renewingSession: boolean;
  /** Sessions renewed since start-up (each one after an expiry). */
  readonly sessionRenewals: number;
  readonly jobs: readonly LocalJobStatus[];
}
