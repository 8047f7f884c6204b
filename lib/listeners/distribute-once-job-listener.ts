import type { ElasticJobListener, ShardingContexts } from '../interfaces';

/** Options of a `DistributeOnceJobListener`. */
export interface DistributeOnceJobListenerOptions {
  /** How long the instances of a fire wait for every item to be registered as started. Default: `30000`. */
  startedTimeoutMilliseconds?: number;
  /** How long after an instance's items ended the fire may take to complete everywhere. Default: `600000`. */
  completedTimeoutMilliseconds?: number;
}

export const DEFAULT_STARTED_TIMEOUT_MS = 30_000;
export const DEFAULT_COMPLETED_TIMEOUT_MS = 600_000;

/**
 * A listener called once in the whole cluster per fire of the job (ElasticJob's `AbstractDistributeOnceElasticJobListener`),
 * coordinated through the job's `guarantee/started` and `guarantee/completed` nodes:
 * `doBeforeJobExecutedAtLastStarted` runs once every item of the fire has been registered, before any of them starts
 * (the items wait for it, up to `startedTimeoutMilliseconds`); `doAfterJobExecutedAtLastCompleted` runs once every item
 * of the fire has ended, wherever it ran (failover runs included). Disabled items do not count. The listener holds no
 * state of a fire: one provider may serve many jobs.
 */
export abstract class DistributeOnceJobListener implements ElasticJobListener {
  readonly startedTimeoutMilliseconds: number;
  readonly completedTimeoutMilliseconds: number;

  constructor(options: DistributeOnceJobListenerOptions = {}) {
    this.startedTimeoutMilliseconds = options.startedTimeoutMilliseconds ?? DEFAULT_STARTED_TIMEOUT_MS;
    this.completedTimeoutMilliseconds = options.completedTimeoutMilliseconds ?? DEFAULT_COMPLETED_TIMEOUT_MS;
  }

  /** Runs once in the cluster per fire, before any item of it starts. */
  abstract doBeforeJobExecutedAtLastStarted(contexts: ShardingContexts): unknown;

  /** Runs once in the cluster per fire, after every item of it has ended. */
  abstract doAfterJobExecutedAtLastCompleted(contexts: ShardingContexts): unknown;

  /** Not called per instance: the module coordinates the instances and calls `doBeforeJobExecutedAtLastStarted`. */
  beforeJobExecuted(): void {}

  /** Not called per instance: the module coordinates the instances and calls `doAfterJobExecutedAtLastCompleted`. */
  afterJobExecuted(): void {}
}
