/** Built-in sharding strategies (ElasticJob's names). */
export type BuiltInShardingStrategyType = 'AVG_ALLOCATION' | 'ODEVITY' | 'ROUND_ROBIN';
/** Job types declared by configuration alone, without a handler (ElasticJob's names): see `elasticJobType`. */
export type ConfiguredJobType = 'SCRIPT' | 'HTTP';
/** Built-in error handlers (ElasticJob's names; `SLACK` and `WEBHOOK` are this module's). */
export type BuiltInErrorHandlerType =
  'LOG' | 'THROW' | 'IGNORE' | 'DINGTALK' | 'WECHAT' | 'SLACK' | 'WEBHOOK' | 'EMAIL';

/**
 * Configuration of one job: the argument of `@ElasticJob`, and what is stored (as YAML, with ElasticJob's
 * field names) at `/{namespace}/{name}/config`.
 */
export interface JobConfiguration {
  /** Unique name of the job in the namespace. Required. */
  name: string;
  /**
   * Quartz cron with seconds (`0/5 * * * * ?`, optional 7th year field) or 5-field Unix cron (`*\/5 * * * *`).
   * Without it the job is a one-off job, run only when triggered.
   */
  cron?: string;
  /** Time zone of `cron`: an IANA name (`Asia/Shanghai`) or a fixed offset (`GMT+08:00`). Default: the process's. */
  timeZone?: string;
  /** Number of sharding items, >= 1. Required. */
  shardingTotalCount: number;
  /** Parameters per item: `0=Beijing,1=Shanghai`. Default: none. */
  shardingItemParameters?: string;
  /** A parameter passed to every item. Default: none. */
  jobParameter?: string;
  /** Record running items in ZooKeeper so that a new fire skips them. Default: `true`. */
  monitorExecution?: boolean;
  /** Re-run items of a crashed instance on a survivor. Default: `false`. */
  failover?: boolean;
  /** Re-run once a fire that found its item still running. Default: `true`. */
  misfire?: boolean;
  /** Maximum allowed difference between the local clock and ZooKeeper's, in seconds; `-1` disables. Default: `-1`. */
  maxTimeDiffSeconds?: number;
  /** Interval of the leader's self-diagnosis, in minutes; `<= 0` disables. Default: `10`. */
  reconcileIntervalMinutes?: number;
  /** Sharding strategy: `AVG_ALLOCATION`, `ODEVITY`, `ROUND_ROBIN` or a custom type. Default: `AVG_ALLOCATION`. */
  jobShardingStrategyType?: BuiltInShardingStrategyType | string;
  /**
   * Error handler: `LOG`, `THROW`, `IGNORE`, an alert (`DINGTALK`, `WECHAT`, `SLACK`, `WEBHOOK`, `EMAIL`, set up by
   * `props`) or a custom type. Default: `LOG`.
   */
  jobErrorHandlerType?: BuiltInErrorHandlerType | string;
  /** Types of the job listeners to call. Default: none. */
  jobListenerTypes?: string[];
  /** Free text shown by the operations tools. Default: none. */
  description?: string;
  /** Start with the job disabled (its server registered as `DISABLED`). Default: `false`. */
  disabled?: boolean;
  /** `true`: this configuration replaces the one in ZooKeeper; `false`: ZooKeeper's wins when present. Default: `false`. */
  overwrite?: boolean;
  /** Keep an existing sharding assignment when instances come and go. Default: `false`. */
  staticSharding?: boolean;
  /** Items of this job run in parallel on this instance at most (local, not stored in ZooKeeper). Default: all. */
  maxConcurrency?: number;
  /**
   * Free properties, under ElasticJob's names: a script job's `script.command.line`, an HTTP job's `http.uri`, the
   * retry policy's `retry.max.attempts`, ... Default: `{}`.
   */
  props?: Record<string, string>;
}

/**
 * A job declared without a handler (an entry of the module option `jobs`, or `JobRegistry.addJob` without one): a
 * script job (`props['script.command.line']`) or an HTTP job (`props['http.uri']`, `props['http.method']`).
 */
export interface ConfiguredJobConfiguration extends JobConfiguration {
  /** The job type. Required for a job without a handler. */
  elasticJobType: ConfiguredJobType;
}

/** A job configuration with every default applied. */
export interface ResolvedJobConfiguration extends Required<
  Omit<
    JobConfiguration,
    'cron' | 'timeZone' | 'shardingItemParameters' | 'jobParameter' | 'description' | 'maxConcurrency'
  >
> {
  cron?: string;
  timeZone?: string;
  shardingItemParameters?: string;
  jobParameter?: string;
  description?: string;
  maxConcurrency?: number;
}
