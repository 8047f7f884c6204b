import type { ExecutionSource, LocalJobStatus, ResolvedJobConfiguration } from '../interfaces';
import { FailoverActions, FailoverRuns } from './failover-runs';
import type { JobFacade } from './job-facade';
import { MisfireActions, MisfireRuns } from './misfire-runs';
import { ItemPipeline, PipelineStages } from './pipeline/item-pipeline';
import { RunMarking } from './run-marking';
import { ItemOwner, RunState } from './run-state';
import { logger } from '../elastic-job.logger';

const DONE: Promise<void> = Promise.resolve();
// How long a stopping job waits at least for its executions' after-hooks.
const AFTER_HOOKS_MIN_MS = 1000;

/**
 * Runs one job's fires on this instance: decides whether a fire runs here (lease, clock, server switch, reshard),
 * picks this instance's items, skips items still running (they miss the fire: `MisfireRuns`), marks them running when
 * `monitorExecution` is on, and hands them to the fire pipeline (`ItemPipeline`). Failover runs are `FailoverRuns`'.
 * It sees coordination only through its `JobFacade`. A failing handler never escapes as an unhandled rejection.
 *
 * The path from the timer to the handler is synchronous and allocates little: with thousands of jobs on one cron,
 * every microsecond spent here is lateness for the jobs dispatched after it.
 */
export class JobExecutor implements MisfireActions, FailoverActions, ItemOwner {
  private readonly state: RunState;
  private readonly pipeline: ItemPipeline;
  // Made on first use: most jobs never miss a fire, fail over, or (without monitorExecution) write a marker.
  private misfireRuns?: MisfireRuns;
  private failoverRuns?: FailoverRuns;
  private runMarking?: RunMarking;
  // Triggers that came while items of this job ran here, run in turn once they have all ended (one per parameter).
  private pendingTriggers?: Array<{ fireTime: number; jobParameter?: string }>;

  constructor(
    private readonly facade: JobFacade,
    stages: PipelineStages,
  ) {
    this.state = new RunState(facade);
    this.pipeline = new ItemPipeline(facade, this.state, stages, this);
  }

  get misfires(): MisfireRuns {
    return (this.misfireRuns ??= new MisfireRuns(this.facade, this.state, this));
  }

  private get failovers(): FailoverRuns {
    return (this.failoverRuns ??= new FailoverRuns(this.facade, this.state, this));
  }

  private get marking(): RunMarking {
    return (this.runMarking ??= new RunMarking(this.facade, this.state, this.pipeline, this));
  }

  /** Items of this job running on this instance now. */
  get runningItems(): number[] {
    return [...this.state.running];
  }

  /** The last execution started here and the last failure, for `InstanceStatusApi`. */
  get activity(): Pick<LocalJobStatus, 'lastFire' | 'lastFailure'> {
    const { lastFireTime, lastStartTime, lastSource, lastFailure } = this.state;
    return {
      lastFire: lastFireTime
        ? { fireTime: new Date(lastFireTime), startTime: new Date(lastStartTime), executionSource: lastSource }
        : undefined,
      lastFailure: lastFailure && {
        time: new Date(lastFailure.time),
        shardingItem: lastFailure.item,
        message: lastFailure.message,
      },
    };
  }

  /**
   * Runs the fire scheduled at `fireTime`; returns `undefined` when it finished synchronously (the common case of a
   * synchronous handler without `monitorExecution` and no reshard), so that the timer path allocates no promise.
   * `jobParameter`: a trigger's parameter for this run.
   */
  fire(fireTime: number, missed = false, jobParameter?: string): Promise<void> | undefined {
    const { facade } = this;
    const config = facade.config;
    if (this.state.stopped || !facade.mayRunFire(fireTime)) {
      return undefined;
    }
    if (!facade.hasLease()) {
      this.misfires.missedWithoutLease(config, fireTime);
      return undefined;
    }
    if (!facade.isClockOk()) {
      return undefined;
    }
    let source: ExecutionSource = 'NORMAL_TRIGGER';
    if (missed) {
      // Fires missed while the process was blocked: with misfire they collapse into this run, else they are skipped.
      if (!config.misfire) {
        return undefined;
      }
      source = 'MISFIRE';
    }
    if (facade.isShardingNecessary(fireTime) || facade.isAssignmentStale()) {
      const runAfterSharding = () => {
        // A fire that waited past a newer assignment's fire is not run: whoever held its items then has run them.
        if (facade.assignmentFireTime > fireTime) {
          logger.warn(
            `Job "${config.name}": the fire of ${new Date(fireTime).toISOString()} came after a newer assignment; skipped`,
          );
          this.adoptRecordedFires();
          return DONE;
        }
        const run = this.fireItems(fireTime, source, jobParameter) ?? DONE;
        this.adoptRecordedFires();
        return run;
      };
      return facade.prepareFire(fireTime).then(runAfterSharding, (error) => {
        logger.error(`Job "${config.name}": resharding failed, running with the current assignment: ${error}`);
        return runAfterSharding();
      });
    }
    return this.fireItems(fireTime, source, jobParameter);
  }

  /** The cron timer's entry: `fire`, with a failed execution reported. */
  onTimer(fireTime: number, missed: boolean): void {
    this.report(this.facade.config, this.fire(fireTime, missed));
  }

  /**
   * A trigger by an operator (`JobOperateApi.trigger`): fires now for this instance's items, or, when items of the job
   * are running here, right after they have all ended. Triggers meanwhile with the same parameter collapse into one;
   * with different parameters each runs, in the order they came. `fireTime` is the trigger's time, the same on every
   * instance; a trigger older than the assignment in use runs under it. `jobParameter`: that run's parameter
   * (`undefined`: the configured one).
   */
  trigger(fireTime: number, jobParameter?: string): void {
    const pending = this.pendingTriggers;
    if (this.state.busy || pending?.length) {
      if (!pending?.some((queued) => queued.jobParameter === jobParameter)) {
        (this.pendingTriggers ??= []).push({ fireTime, jobParameter });
      }
      if (!this.state.busy) {
        setImmediate(() => this.runPendingTrigger());
      }
      return;
    }
    this.runTrigger(fireTime, jobParameter);
  }

  private runTrigger(fireTime: number, jobParameter: string | undefined): void {
    const run = this.fire(Math.max(fireTime, this.facade.assignmentFireTime), false, jobParameter);
    this.report(this.facade.config, run);
    if (this.state.busy) {
      return; // the next queued trigger runs when these items have ended (`release`)
    }
    const next = () => void setImmediate(() => this.runPendingTrigger());
    if (run) {
      // Resharding first: the next queued trigger waits until this one's items have started (or none did).
      run.then(next, next);
    } else if (this.pendingTriggers?.length) {
      next();
    }
  }

  /** Runs the next queued trigger once no item of the job runs here. */
  private runPendingTrigger(): void {
    const pending = this.pendingTriggers;
    if (!pending?.length || this.state.busy || this.state.stopped) {
      return;
    }
    const [{ fireTime, jobParameter }] = pending.splice(0, 1);
    this.runTrigger(fireTime, jobParameter);
  }

  /** Runs an item's missed fires if it is free (another instance's marker of it went). */
  runMisfire(item: number): void {
    this.misfireRuns?.run(item);
  }

  /** Claims a queued failover item if this instance is idle. */
  claimFailover(): void {
    if (this.failoverRuns || this.facade.config.failover) {
      this.failovers.claim();
    }
  }

  /**
   * A new assignment was stamped: if no fire is resharding (the leader resharded between fires), read it now, so that
   * fires its items missed run at once rather than at the next fire.
   */
  async adoptNewAssignment(): Promise<void> {
    const { facade } = this;
    if (this.state.stopped || !facade.isAssignmentStale() || facade.isShardingNecessary(Date.now())) {
      return;
    }
    await facade.refreshAssignment();
    this.adoptRecordedFires();
  }

  /** As the leader, reshards between fires when it may (`ShardingService.reshardBetweenFires`). */
  async reshardBetweenFires(nextFire: number | undefined): Promise<void> {
    if (!this.state.stopped && (await this.facade.reshardBetweenFires(nextFire))) {
      this.adoptRecordedFires();
    }
  }

  /** The lease is lost (abort running items: they go to failover) or back (run what was missed meanwhile). */
  onLease(held: boolean): void {
    if (!held) {
      this.state.abortRunning(new Error('lost contact with ZooKeeper: lease expired'));
      return;
    }
    if (!this.state.stopped) {
      this.state.abortReason = undefined;
    }
    this.pipeline.releaseLeftovers();
    this.misfireRuns?.onLeaseBack();
    this.claimFailover();
  }

  /** A new session replaced an expired one: clean up after the old one's runs. */
  onSessionRenewed(): void {
    this.pipeline.releaseLeftovers();
  }

  /** What was missed in an earlier session is not run in this one (`MisfireRuns.resetForNewSession`). */
  resetForNewSession(): void {
    this.misfireRuns?.resetForNewSession();
  }

  /** Before this instance leaves gracefully: its runs are handed over (`FailoverRuns.handOverOnLeave`). */
  prepareLeave(): Promise<void> {
    return this.failovers.handOverOnLeave();
  }

  /**
   * Stops accepting fires and waits for running items up to `graceMs`; then aborts their `signal` and waits for
   * them to settle.
   */
  async stop(graceMs: number): Promise<void> {
    const { state } = this;
    const deadline = Date.now() + graceMs;
    state.stop();
    if (!(await state.waitIdle(graceMs))) {
      logger.warn(
        `Job "${this.facade.config.name}": items ${this.runningItems} still running after ${graceMs} ms; aborting them`,
      );
      state.abortRunning(new Error('instance shutting down'));
      await state.waitIdle(Infinity);
    }
    // The executions' after-hooks (listeners) still need the session: what is left of the grace, at least a second.
    await state.waitSettled(Math.max(AFTER_HOOKS_MIN_MS, deadline - Date.now()));
  }

  /** Runs this instance's items of the fire under the current assignment; items still running miss it. */
  private fireItems(fireTime: number, source: ExecutionSource, jobParameter?: string): Promise<void> | undefined {
    const { facade, state } = this;
    const config = facade.config;
    if (state.stopped || !facade.mayRunFire(fireTime)) {
      return undefined;
    }
    const monitored = config.monitorExecution;
    const assigned = facade.localItems();
    let items: readonly number[] = assigned;
    if (monitored || state.running.size > 0) {
      const free: number[] = [];
      for (const item of assigned) {
        if (state.running.has(item)) {
          this.misfires.missed(config, item, fireTime);
        } else if (monitored && facade.isRunningElsewhere(item)) {
          this.misfires.missedElsewhere(config, item, fireTime);
        } else {
          free.push(item);
        }
      }
      items = free;
    }
    if (items.length === 0) {
      return undefined;
    }
    return this.start(config, items, fireTime, source, jobParameter);
  }

  private start(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    fireTime: number,
    source: ExecutionSource,
    jobParameter?: string,
  ): Promise<void> | undefined {
    for (const item of items) {
      this.state.running.add(item);
      if (source === 'MISFIRE') {
        this.misfireRuns?.started(item);
      }
    }
    return config.monitorExecution
      ? this.marking.run(config, [...items], fireTime, source, jobParameter)
      : this.pipeline.run(config, items, fireTime, source, jobParameter);
  }

  private report(config: ResolvedJobConfiguration, run: Promise<void> | undefined): void {
    run?.catch((error) =>
      logger.error(
        `Job "${config.name}" execution failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
      ),
    );
  }

  /** Missed fires a reshard recorded for this instance's items run once each (`MisfireRuns.adoptRecordedFires`). */
  private adoptRecordedFires(): void {
    const recorded = this.facade.takeRecordedFires();
    if (recorded) {
      this.misfires.adoptRecordedFires(recorded);
    }
  }

  /** Starts items outside a fire (a misfire run), reporting a failed execution. */
  startItems(config: ResolvedJobConfiguration, items: number[], fireTime: number, source: ExecutionSource): void {
    this.report(config, this.start(config, items, fireTime, source));
  }

  /** Runs a failed-over item whose claim is in the run state. */
  runFailedOver(config: ResolvedJobConfiguration, item: number, fireTime: number): void {
    this.report(config, this.pipeline.run(config, [item], fireTime, 'FAILOVER'));
  }

  /** Frees an item locally, so that the next fire may run it again; then its missed fires, then failover. */
  release(item: number): void {
    const { state } = this;
    state.running.delete(item);
    if (this.misfireRuns?.has(item)) {
      setImmediate(() => this.runMisfire(item));
    }
    if (state.running.size === 0) {
      state.onIdle();
      if (this.pendingTriggers?.length) {
        setImmediate(() => this.runPendingTrigger());
      }
      if (this.facade.config.failover) {
        setImmediate(() => this.claimFailover());
      }
    }
  }
}
