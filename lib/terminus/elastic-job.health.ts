import './terminus.peer';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InstanceStatusApi } from '../elastic-job.status';
import { ExecutionSource, InstanceStatus, LocalJobState, LocalJobStatus } from '../interfaces';

/** One job of this instance, as the health indicator reports it (times as ISO 8601 strings). */
export type ElasticJobHealthJobDetails = {
  state: LocalJobState;
  /** Whether this instance is the job's leader. */
  leader: boolean;
  /** The items assigned to this instance. */
  itemsOwned: number[];
  /** The items running here now. */
  runningItems: number[];
  /** The last execution this instance started; `null` before the first. */
  lastFire: { fireTime: string; startTime: string; executionSource: ExecutionSource } | null;
  /** The last item run that failed here (after its retries); `null` when none has. */
  lastFailure: { time: string; shardingItem: number; message: string } | null;
};

/** What the health indicator reports under its key, besides `status`. */
export type ElasticJobHealthDetails = {
  instanceId: string;
  connected: boolean;
  leaseHeld: boolean;
  renewingSession: boolean;
  sessionRenewals: number;
  /** By job name. */
  jobs: Record<string, ElasticJobHealthJobDetails>;
  /** Why the indicator is down; absent when it is up. */
  message?: string;
};

/**
 * A health indicator for `@nestjs/terminus` (>= 11): up when this instance is connected to ZooKeeper, holds its lease
 * and has registered every one of its jobs; down (a `@HealthCheck()` endpoint then answers 503) when it lost its lease
 * or its connection, or is registering its jobs again in a new session. Reads the instance's state from memory, so it
 * is cheap enough for a probe every second.
 *
 * ```ts
 * @Module({
 *   imports: [TerminusModule, ElasticJobModule.forRoot({ ... })],
 *   providers: [ElasticJobHealthIndicator],
 *   controllers: [HealthController],
 * })
 * // in HealthController:
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.elasticJob.isHealthy('elasticjob')]); }
 * ```
 */
@Injectable()
export class ElasticJobHealthIndicator {
  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    private readonly instanceStatus: InstanceStatusApi,
  ) {}

  /** The indicator's result under `key` (default `'elasticjob'`), with the instance's and every job's details. */
  async isHealthy<Key extends string = 'elasticjob'>(
    key: Key = 'elasticjob' as Key,
  ): Promise<HealthIndicatorResult<Key, 'up' | 'down', ElasticJobHealthDetails>> {
    const indicator = this.healthIndicators.check(key);
    const status = this.instanceStatus.snapshot();
    const details = healthDetails(status);
    if (this.instanceStatus.isHealthy(status)) {
      return indicator.up(details);
    }
    return indicator.down({ ...details, message: downReasons(status).join('; ') });
  }
}

function healthDetails(status: InstanceStatus): ElasticJobHealthDetails {
  return {
    instanceId: status.instanceId,
    connected: status.connected,
    leaseHeld: status.leaseHeld,
    renewingSession: status.renewingSession,
    sessionRenewals: status.sessionRenewals,
    jobs: Object.fromEntries(status.jobs.map((job) => [job.jobName, jobDetails(job)])),
  };
}

function jobDetails(job: LocalJobStatus): ElasticJobHealthJobDetails {
  return {
    state: job.state,
    leader: job.leader,
    itemsOwned: [...job.itemsOwned],
    runningItems: [...job.runningItems],
    lastFire: job.lastFire
      ? {
          fireTime: job.lastFire.fireTime.toISOString(),
          startTime: job.lastFire.startTime.toISOString(),
          executionSource: job.lastFire.executionSource,
        }
      : null,
    lastFailure: job.lastFailure
      ? {
          time: job.lastFailure.time.toISOString(),
          shardingItem: job.lastFailure.shardingItem,
          message: job.lastFailure.message,
        }
      : null,
  };
}

function downReasons(status: InstanceStatus): string[] {
  const reasons: string[] = [];
  if (!status.connected) {
    reasons.push('not connected to ZooKeeper');
  }
  if (!status.leaseHeld) {
    reasons.push('lease not held: this instance starts no items');
  }
  if (status.renewingSession) {
    reasons.push('the session expired: jobs are registering again in a new session');
  }
  const starting = status.jobs.filter((job) => job.state === 'STARTING').map((job) => JSON.stringify(job.jobName));
  if (starting.length > 0) {
    reasons.push(`not registered yet: ${starting.join(', ')}`);
  }
  return reasons;
}
