/**
 * A job's state as `JobStatisticsApi` reports it (ElasticJob's statuses): `OK`; `CRASHED` (no instance runs it);
 * `DISABLED` (disabled on every server); `SHARDING_FLAG` (its assignment names an instance that is gone, or there is
 * none yet: it reshards at the next fire).
 */
export type JobStatus = 'OK' | 'CRASHED' | 'DISABLED' | 'SHARDING_FLAG';

/** One job of the namespace at a glance. */
export interface JobBriefInfo {
  jobName: string;
  status: JobStatus;
  description?: string;
  /** Absent for a one-off job. */
  cron?: string;
  /** Instances running the job (on the server asked about, for `getJobsBriefInfo(ip)`). */
  instanceCount: number;
  shardingTotalCount: number;
}

/** One server (IP address) of the namespace at a glance. */
export interface ServerBriefInfo {
  serverIp: string;
  /** Instance ids (`{ip}@-@{pid}`) running on this server, over all jobs. */
  instances: string[];
  /** Jobs registered on this server. */
  jobNames: string[];
  instancesNum: number;
  jobsNum: number;
  /** Jobs disabled on this server. */
  disabledJobsNum: number;
}

/**
 * A sharding item's state (ElasticJob's statuses): `DISABLED` (the item is switched off), `RUNNING`, `SHARDING_FLAG`
 * (assigned to no live instance: it reshards at the next fire), `PENDING` (waiting for its next fire).
 */
export type ShardingStatus = 'DISABLED' | 'RUNNING' | 'SHARDING_FLAG' | 'PENDING';

/** One sharding item of a job. */
export interface ShardingInfo {
  item: number;
  /** The instance the item is assigned to (`{ip}@-@{pid}`), if any. */
  instanceId?: string;
  /** The server of that instance. */
  serverIp?: string;
  status: ShardingStatus;
  /** The instance running the item now, if it runs (the owner, or a failover taker). */
  runningInstanceId?: string;
  /** Whether the item is queued for failover or being failed over. */
  failover: boolean;
  /** The instance that took the item over, while it does. */
  failoverInstanceId?: string;
}
