import type { ResolvedJobConfiguration } from '../interfaces';
import { parseRunningMarker } from '../storage';
import type { JobFacade, RunClaim } from './job-facade';
import type { RunState } from './run-state';
import { logger } from '../elastic-job.logger';

// How long a failover run waits at a time for the interrupted run's marker to go before looking again.
const FAILOVER_WAIT_MS = 5_000;

/** What failover runs need of the executor. */
export interface FailoverActions {
  /** Runs a claimed item as `FAILOVER` (its claim is in the run state). */
  runFailedOver(config: ResolvedJobConfiguration, item: number, fireTime: number): void;
  /** Frees an item locally. */
  release(item: number): void;
}

/**
 * This instance's side of failover: while idle (no item of the job running here), it claims one queued item, waits
 * for the interrupted run's marker to go, marks the item running for itself and runs it; the next is claimed when this
 * run ends, so that queued items spread over the idle instances.
 */
export class FailoverRuns {
  private claiming = false;

  constructor(
    private readonly facade: JobFacade,
    private readonly state: RunState,
    private readonly actions: FailoverActions,
  ) {}

  /**
   * Before this instance leaves gracefully: its runs' markers become ephemeral and, with `failover`, each running item
   * is queued at once, so that whoever takes it runs it as soon as it is given up here (or at once if this process
   * dies). Items that finish here take their entry back.
   */
  async handOverOnLeave(): Promise<void> {
    const { facade, state } = this;
    state.leaving = true;
    await Promise.allSettled([...(state.starting ?? [])]);
    const claims = [...(state.claims?.values() ?? [])];
    await facade.markLeaving(claims);
    if (facade.config.failover) {
      for (const claim of claims) {
        await facade.enqueueFailover(claim.item, claim.marker);
      }
    }
  }

  /** Claims one queued item and runs it, if this instance is idle and may run it. */
  claim(): void {
    const { facade, state } = this;
    const config = facade.config;
    if (
      this.claiming ||
      state.stopped ||
      state.leaving ||
      state.running.size > 0 ||
      !config.failover ||
      !config.monitorExecution ||
      !facade.isServerEnabled() ||
      !facade.hasLease()
    ) {
      return;
    }
    const queued = facade.queuedFailoverItems();
    if (queued.length === 0) {
      return;
    }
    this.claiming = true;
    this.runOne(config, queued)
      .catch((error) => logger.warn(`Job "${config.name}": failover failed: ${error}`))
      .finally(() => {
        this.claiming = false;
        if (state.running.size === 0 && facade.queuedFailoverItems().length > 0) {
          setTimeout(() => this.claim(), 100).unref();
        }
      });
  }

  private async runOne(config: ResolvedJobConfiguration, queued: number[]): Promise<void> {
    const { facade, state } = this;
    for (const item of queued) {
      const origin = facade.failoverOrigin(item);
      if (origin === undefined || state.running.size > 0 || state.stopped || !(await facade.claimFailover(item))) {
        continue;
      }
      state.running.add(item);
      let claim: RunClaim | undefined;
      try {
        claim = await this.awaitRun(item, origin);
        if (claim) {
          await facade.beginFailover(item);
        }
      } catch (error) {
        if (claim) {
          await facade.registerComplete([claim]).catch(() => undefined);
        }
        await facade.releaseFailover(item).catch(() => undefined);
        this.actions.release(item);
        throw error;
      }
      if (!claim) {
        await facade.releaseFailover(item);
        this.actions.release(item);
        continue;
      }
      state.setClaim(claim);
      logger.log(`Job "${config.name}": item ${item} failed over to this instance`);
      this.actions.runFailedOver(config, item, claim.fireTime);
      return;
    }
  }

  /**
   * Marks the claimed item running for its failover run, once the interrupted run's marker is gone (an instance
   * leaving gracefully keeps it until its grace period ends). `undefined` when the entry was taken back meanwhile
   * (that run finished after all) or this instance stops.
   */
  private async awaitRun(item: number, origin: string): Promise<RunClaim | undefined> {
    const { facade, state } = this;
    const fireTime = parseRunningMarker(origin)?.fireTime ?? Date.now();
    while (!state.stopped) {
      const claim = await facade.claimRun(item, fireTime);
      if (claim) {
        if (await facade.isFailoverQueued(item, origin)) {
          return claim;
        }
        await facade.registerComplete([claim]);
        return undefined;
      }
      await facade.waitForRunEnd(item, () => state.stopped, FAILOVER_WAIT_MS);
    }
    return undefined;
  }
}
