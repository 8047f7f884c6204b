import { logger } from '../elastic-job.logger';
import type { LocalJobState } from '../interfaces';
import type { JobLabels } from './job-labels';
import type { MetricsSources } from './metrics-sources';
import { scrapeFailed } from './metrics.messages';

/** Every job state, so that each one is reported (0 when no job is in it). */
export const LOCAL_JOB_STATES: readonly LocalJobState[] = ['STARTING', 'RUNNING', 'DISABLED', 'RENEWING', 'STOPPING'];

/** What the scrape-time metrics report, read once per scrape. */
export interface InstanceSnapshot {
  /** Items owned and running, by `job` label. */
  readonly itemsOwned: Map<string, number>;
  readonly itemsRunning: Map<string, number>;
  readonly jobsByState: Map<LocalJobState, number>;
  readonly jobsLed: number;
  /** 1 or 0: every application sharing the metrics registry is connected (holds its lease). */
  readonly connected: number;
  readonly leaseHeld: number;
  readonly sessionRenewals: number;
  readonly tracingQueued: number;
  readonly tracingDropped: number;
  readonly tracingWritten: number;
}

/**
 * The state of the applications whose metrics go to one registry (usually one), summed; the connection and the lease
 * are 1 only when every one has them. An application whose state cannot be read counts as disconnected.
 */
export function readSnapshot(members: Iterable<MetricsSources>, labels: JobLabels): InstanceSnapshot {
  const itemsOwned = new Map<string, number>();
  const itemsRunning = new Map<string, number>();
  const jobsByState = new Map(LOCAL_JOB_STATES.map((state) => [state, 0]));
  const add = <K>(map: Map<K, number>, key: K, value: number) => map.set(key, (map.get(key) ?? 0) + value);
  let jobsLed = 0;
  let connected = 1;
  let leaseHeld = 1;
  let sessionRenewals = 0;
  let tracingQueued = 0;
  let tracingDropped = 0;
  let tracingWritten = 0;
  for (const member of members) {
    try {
      const status = member.status();
      for (const job of status.jobs) {
        const label = labels.of(job.jobName);
        add(itemsOwned, label, job.itemsOwned.length);
        add(itemsRunning, label, job.runningItems.length);
        add(jobsByState, job.state, 1);
        jobsLed += job.leader ? 1 : 0;
      }
      connected &&= status.connected ? 1 : 0;
      leaseHeld &&= status.leaseHeld ? 1 : 0;
      sessionRenewals += status.sessionRenewals;
      const tracing = member.tracing();
      tracingQueued += tracing?.queued ?? 0;
      tracingDropped += tracing?.dropped ?? 0;
      tracingWritten += tracing?.written ?? 0;
    } catch (error) {
      // A scrape must not fail: the rest of the metrics are still worth reading.
      logger.warn(scrapeFailed(error));
      connected = 0;
      leaseHeld = 0;
    }
  }
  return {
    itemsOwned,
    itemsRunning,
    jobsByState,
    jobsLed,
    connected,
    leaseHeld,
    sessionRenewals,
    tracingQueued,
    tracingDropped,
    tracingWritten,
  };
}
