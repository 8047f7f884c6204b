import type { ExecutionSource, ResolvedJobConfiguration } from '../interfaces';
import type { JobFacade } from './job-facade';
import type { RunState } from './run-state';
import { logger } from '../elastic-job.logger';

/** A fire missed while the lease was lost: run when it is back only in the same session and the same assignment. */
interface LeaseMissedFire {
  readonly fireTime: number;
  readonly sessionId: string;
  readonly stamp: number;
}

/** What the misfire runs need of the executor. */
export interface MisfireActions {
  startItems(config: ResolvedJobConfiguration, items: number[], fireTime: number, source: ExecutionSource): void;
  /** The timer's entry: the fire, reported when it fails. */
  onTimer(fireTime: number, missed: boolean): void;
}

/**
 * Fires an item missed, run once later as `MISFIRE` (with `misfire`): fires that found the item still running here or
 * elsewhere (they collapse into one), fires a reshard recorded for items whose owner was gone, and the fire missed
 * while the lease was lost.
 */
export class MisfireRuns {
  // Items whose fires were missed, with the latest missed fire: each runs once more when free.
  private pending?: Map<number, number>;
  // The latest fire missed because the lease was lost, run once when it is back.
  private leaseMissed?: LeaseMissedFire;

  constructor(
    private readonly facade: JobFacade,
    private readonly state: RunState,
    private readonly actions: MisfireActions,
  ) {}

  has(item: number): boolean {
    return this.pending?.has(item) ?? false;
  }

  /** A run as a misfire started: it stands for every fire of the item missed so far. */
  started(item: number): void {
    this.pending?.delete(item);
  }

  /** A fire found the item still running: with `misfire`, it runs once more when free (missed fires collapse). */
  missed(config: ResolvedJobConfiguration, item: number, fireTime: number): void {
    if (!config.misfire) {
      return;
    }
    const known = this.pending?.has(item) ?? false;
    (this.pending ??= new Map()).set(item, fireTime);
    if (!known && config.monitorExecution) {
      this.facade
        .markMisfire(item)
        .catch((error) => logger.warn(`Job "${config.name}": could not mark item ${item} misfired: ${error}`));
    }
  }

  /**
   * The item is marked running elsewhere: missed, unless that run is of this fire or a later one (two instances that
   * both held the item for this fire, one of them under an assignment it had not yet seen replaced).
   */
  missedElsewhere(config: ResolvedJobConfiguration, item: number, fireTime: number): void {
    const running = this.facade.fireRunningElsewhere(item);
    if (running === undefined || running < fireTime) {
      this.missed(config, item, fireTime);
    }
  }

  /** The lease was lost at a fire: with `misfire`, noted to run when it is back (see `runLeaseMissed`). */
  missedWithoutLease(config: ResolvedJobConfiguration, fireTime: number): void {
    if (config.misfire) {
      const { facade } = this;
      this.leaseMissed = { fireTime, sessionId: facade.sessionId(), stamp: facade.assignmentFireTime };
    }
  }

  /**
   * Missed fires that a reshard recorded for items this instance now owns (their owner was gone when they were due,
   * and nobody started them): each runs once, as a misfire, as soon as the item is free.
   */
  adoptRecordedFires(recorded: ReadonlyMap<number, number>): void {
    const config = this.facade.config;
    if (!config.misfire) {
      return;
    }
    for (const [item, fireTime] of recorded) {
      const pending = (this.pending ??= new Map());
      pending.set(item, Math.max(fireTime, pending.get(item) ?? 0));
      logger.log(
        `Job "${config.name}": item ${item} runs the fire of ${new Date(fireTime).toISOString()}, due while ` +
          'its owner was gone',
      );
      this.run(item);
    }
  }

  /**
   * Runs an item whose fires were missed, if it is free now: called when a local run ends, when another instance's
   * marker of it goes, and when the lease is back.
   */
  run(item: number): void {
    const { facade, state } = this;
    const config = facade.config;
    const fireTime = this.pending?.get(item);
    if (fireTime === undefined || state.running.has(item) || state.stopped || !facade.isServerEnabled()) {
      return;
    }
    if (!facade.hasLease() || (config.monitorExecution && facade.isRunningElsewhere(item))) {
      return;
    }
    this.pending!.delete(item);
    facade
      .clearMisfire(item)
      .catch((error) => logger.warn(`Job "${config.name}": could not clear the misfire of item ${item}: ${error}`));
    if (!config.misfire || !facade.localItems().includes(item)) {
      return;
    }
    this.actions.startItems(config, [item], fireTime, 'MISFIRE');
  }

  /** The lease is back: the fire missed meanwhile, then the items whose fires were missed. */
  onLeaseBack(): void {
    const missedFire = this.leaseMissed;
    this.leaseMissed = undefined;
    if (missedFire !== undefined) {
      this.runLeaseMissed(missedFire).catch((error) =>
        logger.warn(`Job "${this.facade.config.name}": the fire missed while the lease was lost did not run: ${error}`),
      );
    }
    [...(this.pending?.keys() ?? [])].forEach((item) => this.run(item));
  }

  /**
   * A new session replaced the one this instance's runs and assignment were known in: what it missed in the old one
   * (fires missed while the lease was lost, items that found their run still going) is not run here, since its items
   * may have been taken over; the reshard that follows records what nobody ran for the items' next owners.
   */
  resetForNewSession(): void {
    this.leaseMissed = undefined;
    this.pending?.clear();
  }

  /**
   * Runs the fire missed while the lease was lost, as a misfire, only if nobody else can have run it: the session is
   * the one it was missed in (so this instance's node never went and its items were not failed over), and the
   * assignment in ZooKeeper is the one it was missed under (so its items were not given to others meanwhile).
   */
  private async runLeaseMissed(missed: LeaseMissedFire): Promise<void> {
    const { facade } = this;
    const sameSession = () => missed.sessionId !== '' && facade.sessionId() === missed.sessionId;
    const stamp = sameSession() ? await facade.registryAssignmentStamp() : undefined;
    if (!sameSession() || stamp !== missed.stamp) {
      logger.warn(
        `Job "${facade.config.name}": the fire of ${new Date(missed.fireTime).toISOString()}, missed while the lease ` +
          `was lost, is not run here: ${sameSession() ? 'its items were resharded meanwhile' : 'the session ended meanwhile'}`,
      );
      return;
    }
    this.actions.onTimer(missed.fireTime, true);
  }
}
