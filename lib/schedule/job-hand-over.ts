import { logger } from '../elastic-job.logger';
import { LeaderService } from '../election';
import { JobExecutor } from '../executor';
import { DepartureService, InstanceService } from '../instance';
import { RegistryCenter, TreeCache } from '../registry-center';
import { ShardingService } from '../sharding';
import { JobNodePath } from '../storage';
import { LiteJobFacade } from './lite-job-facade';

/** The parts of a started job that its hand-over touches. */
export interface LeavingJob {
  readonly registry: RegistryCenter;
  readonly paths: JobNodePath;
  readonly instanceId: string;
  readonly cache: TreeCache;
  readonly facade: LiteJobFacade;
  readonly executor: JobExecutor;
  readonly instance: InstanceService;
  readonly leader: LeaderService;
  readonly sharding: ShardingService;
  readonly departures: DepartureService;
}

/** What the hand-over needs of the scheduler. */
export interface HandOverSteps {
  /** Another live instance registered with this instance's id: its nodes are the other's now. */
  readonly idTaken: boolean;
  /** Whether the job fires on a cron (a one-off job has no fire to hand over). */
  readonly scheduled: boolean;
  readonly clearTrigger: () => Promise<void>;
  /** Stops the listeners and the timer. */
  readonly stopTimer: () => void;
}

/**
 * Hands the job over before this instance stops it: leaves the instance list and the leadership, asks for a reshard,
 * and keeps firing under the current assignment until the others have resharded without it (bounded by `graceMs`),
 * so that no fire is missed; then stops the listeners and the timer. Running items keep their `running` markers until
 * they end, so nobody runs them twice.
 */
export async function handOver(
  job: LeavingJob,
  graceMs: number,
  deadline: number,
  steps: HandOverSteps,
): Promise<void> {
  const { registry, paths, facade } = job;
  let marked = false;
  try {
    if (steps.idTaken) {
      // Its nodes (instance, leadership, trigger, leaving mark) are the other instance's now: write nothing.
      facade.update({ ...facade.config, failover: false });
      registry.forgetEphemeral(paths.instance(job.instanceId));
    } else if (registry.isConnected() && !job.cache.has(paths.config)) {
      // (The cache saw the configuration go before the instance node whose removal brings an operator's stop here.)
      // The job is being removed from the registry (`JobConfigurationApi.removeJobConfiguration`): write nothing
      // that would bring its nodes back; running items are not handed over.
      facade.update({ ...facade.config, failover: false });
      await job.instance.removeInstance();
      await job.leader.resign();
    } else if (registry.isConnected()) {
      await job.executor.prepareLeave();
      // Before the instance node goes: the others then know it still fires (until `deadline` at the latest), so
      // that nobody takes its fires for missed ones.
      await job.departures.markLeaving(deadline);
      marked = true;
      await job.instance.removeInstance();
      await steps.clearTrigger();
      await job.leader.resign();
      const others = job.sharding.availableInstances().filter((id) => id !== job.instanceId);
      if (others.length > 0 && steps.scheduled) {
        await job.sharding.setReshardingFlag();
        if (!(await job.sharding.waitForReshard(graceMs))) {
          logger.warn(
            `Job "${paths.jobName}": the other instances did not reshard within ${graceMs} ms; leaving anyway`,
          );
        }
      }
    }
  } catch (error) {
    logger.warn(`Job "${paths.jobName}": could not hand over cleanly: ${error}`);
  }
  steps.stopTimer();
  if (marked) {
    job.departures
      .clearLeaving()
      .catch((error) => logger.warn(`Job "${paths.jobName}": could not clear its leaving mark: ${error}`));
  }
}
