import { Logger } from '@nestjs/common';
import { ExecutionService, parseRunningMarker, RunClaim } from '../execution';
import { FailoverService } from '../failover';
import { InstanceIdentity } from '../instance';
import { JobNodePath, waitForCache } from '../storage';
import { ServerService } from '../server';
import { ShardingService } from '../sharding';
import { ID_SEPARATOR, LOGGER_CONTEXT, STREAMING_PROCESS_PROP } from '../elastic-job.constants';
import { ExecutionSource, JobErrorHandler, ResolvedJobConfiguration, ShardingContext } from '../interfaces';
import { hasCode, RegistryCenter, TreeCache } from '../registry-center';
import type { JobShardingStrategy } from '../sharding';
import { AbortRegistry, ItemShardingContext } from './sharding-context';

// One logger for all executors: thousands of jobs need no logger each.
const logger = new Logger(LOGGER_CONTEXT);
const DONE: Promise<void> = Promise.resolve();
const isUndefined = (value: unknown) => value === undefined;

/** A job's handler: called once per sharding item assigned to this instance. */
export type JobHandler = (context: ShardingContext) => unknown;

/** The services and settings an executor reads at each fire; the bootstrap replaces `config` on live changes. */
export interface JobExecutorDependencies {
  config: ResolvedJobConfiguration;
  shardingParameters: Map<number, string>;
  readonly handler: JobHandler;
  readonly errorHandler: () => JobErrorHandler;
  readonly shardingStrategy: () => JobShardingStrategy;
  readonly identity: InstanceIdentity;
  readonly server: ServerService;
  readonly sharding: ShardingService;
  readonly execution: ExecutionService;
  readonly failover: FailoverService;
  /** For the lease: no item starts without it. */
  readonly registry: RegistryCenter;
  readonly cache: TreeCache;
  readonly paths: JobNodePath;
  /** Whether the clock is within `maxTimeDiffSeconds` of ZooKeeper's (always, when not checked). */
  readonly clockOk: () => boolean;
}

// How long a failover run waits at a time for the interrupted run's marker to go before looking again.
const FAILOVER_WAIT_MS = 5_000;
/**
 * A server switched off this recently still runs its items under the assignment in force for fires that do not
 * reshard (the switch came within the reshard margin of the fire): the others run only theirs at such a fire, so the
 * switched-off server's items would run nowhere. Longer than the margin plus the time the leader takes to ask for a
 * reshard; after that the fire reshards without it.
 */
const SWITCH_OFF_GRACE_MS = 5_000;

/** A fire missed while the lease was lost: run when it is back only in the same session and the same assignment. */
interface LeaseMissedFire {
  readonly fireTime: number;
  readonly sessionId: string;
  readonly stamp: number;
}

/** What one item's run ended with: nothing, or the error its error handler rethrew. */
type Outcome = unknown;

/**
 * Runs one job's fires on this instance: picks this instance's items, skips items still running, marks them running
 * when `monitorExecution` is on, calls the handler per item (in parallel up to `maxConcurrency`), and hands failures
 * to the job's error handler. A failing handler never escapes as an unhandled rejection.
 *
 * The path from the timer to the handler is synchronous and allocates little: with thousands of jobs on one cron,
 * every microsecond spent here is lateness for the jobs dispatched after it.
 */
export class JobExecutor implements AbortRegistry {
  readonly abortable = new Set<ItemShardingContext>();
  abortReason: unknown = undefined;
  private readonly running = new Set<number>();
  // The marker of each running item's run (with `monitorExecution`).
  private claims?: Map<number, RunClaim>;
  // Items whose fires were missed while they ran, with the latest missed fire: each runs once more when free.
  private pendingMisfire?: Map<number, number>;
  // Items whose run this instance aborted (lost lease, shutdown): if it ends in failure, it goes to failover.
  private interrupted?: Set<number>;
  // (These four are made on first use: thousands of jobs mostly never need them.)
  private starting?: Set<Promise<unknown>>;
  private readonly idle: Array<() => void> = [];
  // The latest fire missed because the lease was lost, run once when it is back (with `misfire`).
  private leaseMissed?: LeaseMissedFire;
  // Runs whose marker could not be removed (or item handed over) when they ended.
  private leftovers?: Array<{ claim: RunClaim; handOver: boolean }>;
  // A trigger that came while items of this job ran here: run once when they have all ended.
  private pendingTrigger = false;
  private stopped = false;
  private leaving = false;
  private claimingFailover = false;
  private taskIdItems?: readonly number[];
  private taskId = '';

  constructor(private readonly deps: JobExecutorDependencies) {}

  isCurrent(item: number): boolean {
    const { config, sharding } = this.deps;
    return !this.stopped && sharding.getLocalShardingItems(config.shardingTotalCount).includes(item);
  }

  isStreaming(): boolean {
    return this.deps.config.props[STREAMING_PROCESS_PROP] === 'true';
  }

  /** Items of this job running on this instance now. */
  get runningItems(): number[] {
    return [...this.running];
  }

  /**
   * Runs the fire scheduled at `fireTime`; returns `undefined` when it finished synchronously (the common case of a
   * synchronous handler without `monitorExecution` and no reshard), so that the timer path allocates no promise.
   */
  fire(fireTime: number, missed = false): Promise<void> | undefined {
    const { config, sharding, registry } = this.deps;
    if (this.stopped || !this.mayFire(fireTime)) {
      return undefined;
    }
    if (!registry.hasLease()) {
      if (config.misfire) {
        this.leaseMissed = { fireTime, sessionId: registry.getSessionId(), stamp: sharding.assignmentFireTime };
      }
      return undefined;
    }
    if (!this.deps.clockOk()) {
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
    if (sharding.isShardingNecessary(fireTime) || sharding.isStale()) {
      const runAfterSharding = () => {
        // A fire that waited past a newer assignment's fire is not run: whoever held its items then has run them.
        if (sharding.assignmentFireTime > fireTime) {
          logger.warn(
            `Job "${config.name}": the fire of ${new Date(fireTime).toISOString()} came after a newer assignment; skipped`,
          );
          this.adoptRecordedFires();
          return DONE;
        }
        const run = this.fireItems(fireTime, source) ?? DONE;
        this.adoptRecordedFires();
        return run;
      };
      return sharding.prepare(config, this.deps.shardingStrategy(), fireTime).then(runAfterSharding, (error) => {
        logger.error(`Job "${config.name}": resharding failed, running with the current assignment: ${error}`);
        return runAfterSharding();
      });
    }
    return this.fireItems(fireTime, source);
  }

  /** `fire`, with a failed execution reported (the timer's entry point). */
  trigger(fireTime: number, missed: boolean): void {
    this.report(this.deps.config, this.fire(fireTime, missed));
  }

  /**
   * A trigger by an operator (`JobOperateApi.trigger`): fires now for this instance's items, or, when items of the job
   * are running here, once right after they have all ended (triggers meanwhile collapse into that one). `fireTime` is
   * the trigger's time, the same on every instance; a trigger older than the assignment in use runs under it.
   */
  triggerByOperator(fireTime: number): void {
    if (this.running.size > 0 || (this.starting?.size ?? 0) > 0) {
      this.pendingTrigger = true;
      return;
    }
    this.trigger(Math.max(fireTime, this.deps.sharding.assignmentFireTime), false);
  }

  /**
   * Whether this instance runs the fire: its server is enabled, or was switched off so shortly before the fire that
   * the fire does not reshard without it (then the assignment in force runs the fire, its items included).
   */
  private mayFire(fireTime: number): boolean {
    const { server, sharding } = this.deps;
    return (
      server.isEnabled() ||
      (server.disabledSince(fireTime - SWITCH_OFF_GRACE_MS) && !sharding.isShardingNecessary(fireTime))
    );
  }

  /** Runs this instance's items of the fire under the current assignment; items still running miss it. */
  private fireItems(fireTime: number, source: ExecutionSource): Promise<void> | undefined {
    const { config, sharding, execution } = this.deps;
    if (this.stopped || !this.mayFire(fireTime)) {
      return undefined;
    }
    const monitored = config.monitorExecution;
    const assigned = sharding.getLocalShardingItems(config.shardingTotalCount);
    let items: readonly number[] = assigned;
    if (monitored || this.running.size > 0) {
      const free: number[] = [];
      for (const item of assigned) {
        if (this.running.has(item)) {
          this.missed(config, item, fireTime);
        } else if (monitored && execution.isRunningElsewhere(item)) {
          this.missedElsewhere(config, item, fireTime);
        } else {
          free.push(item);
        }
      }
      items = free;
    }
    if (items.length === 0) {
      return undefined;
    }
    return this.start(config, items, fireTime, source);
  }

  private start(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    fireTime: number,
    source: ExecutionSource,
  ): Promise<void> | undefined {
    for (const item of items) {
      this.running.add(item);
      if (source === 'MISFIRE') {
        // This run stands for every fire of the item missed so far.
        this.pendingMisfire?.delete(item);
      }
    }
    return config.monitorExecution
      ? this.executeMonitored(config, [...items], fireTime, source)
      : this.collect(config, this.runItems(config, items, fireTime, source));
  }

  /** A fire found the item still running: with `misfire`, it runs once more when free (missed fires collapse). */
  private missed(config: ResolvedJobConfiguration, item: number, fireTime: number): void {
    if (!config.misfire) {
      return;
    }
    const known = this.pendingMisfire?.has(item) ?? false;
    (this.pendingMisfire ??= new Map()).set(item, fireTime);
    if (!known && config.monitorExecution) {
      this.deps.execution
        .setMisfire(item)
        .catch((error) => logger.warn(`Job "${config.name}": could not mark item ${item} misfired: ${error}`));
    }
  }

  /**
   * The item is marked running elsewhere: missed, unless that run is of this fire or a later one (two instances that
   * both held the item for this fire, one of them under an assignment it had not yet seen replaced).
   */
  private missedElsewhere(config: ResolvedJobConfiguration, item: number, fireTime: number): void {
    const running = this.deps.execution.fireRunningElsewhere(item);
    if (running === undefined || running < fireTime) {
      this.missed(config, item, fireTime);
    }
  }

  /**
   * Missed fires that a reshard recorded for items this instance now owns (their owner was gone when they were due,
   * and nobody started them): each runs once, as a misfire, as soon as the item is free.
   */
  private adoptRecordedFires(): void {
    const recorded = this.deps.sharding.takeRecordedFires();
    if (!recorded || !this.deps.config.misfire) {
      return;
    }
    for (const [item, fireTime] of recorded) {
      const pending = (this.pendingMisfire ??= new Map());
      pending.set(item, Math.max(fireTime, pending.get(item) ?? 0));
      logger.log(
        `Job "${this.deps.config.name}": item ${item} runs the fire of ${new Date(fireTime).toISOString()}, due while ` +
          'its owner was gone',
      );
      this.runMisfire(item);
    }
  }

  /**
   * A new assignment was stamped: if no fire is resharding (the leader resharded between fires), read it now, so that
   * fires its items missed run at once rather than at the next fire.
   */
  async adoptNewAssignment(): Promise<void> {
    const { sharding, config } = this.deps;
    if (this.stopped || !sharding.isStale() || sharding.isShardingNecessary(Date.now())) {
      return;
    }
    await sharding.refresh(config.shardingTotalCount);
    this.adoptRecordedFires();
  }

  /** As the leader, reshards between fires when it may (`ShardingService.reshardBetweenFires`). */
  async reshardBetweenFires(nextFire: number | undefined): Promise<void> {
    const { sharding, config } = this.deps;
    if (!this.stopped && (await sharding.reshardBetweenFires(config, this.deps.shardingStrategy(), nextFire))) {
      this.adoptRecordedFires();
    }
  }

  /**
   * Runs an item whose fires were missed, if it is free now: called when a local run ends, when another instance's
   * marker of it goes, and when the lease is back.
   */
  runMisfire(item: number): void {
    const { config, server, sharding, execution, registry } = this.deps;
    const fireTime = this.pendingMisfire?.get(item);
    if (fireTime === undefined || this.running.has(item) || this.stopped || !server.isEnabled()) {
      return;
    }
    if (!registry.hasLease() || (config.monitorExecution && execution.isRunningElsewhere(item))) {
      return;
    }
    this.pendingMisfire!.delete(item);
    execution
      .clearMisfire(item)
      .catch((error) => logger.warn(`Job "${config.name}": could not clear the misfire of item ${item}: ${error}`));
    if (!config.misfire || !sharding.getLocalShardingItems(config.shardingTotalCount).includes(item)) {
      return;
    }
    this.report(config, this.start(config, [item], fireTime, 'MISFIRE'));
  }

  /** The lease is lost (abort running items: they go to failover) or back (run what was missed meanwhile). */
  onLease(held: boolean): void {
    if (!held) {
      this.abortRunning(new Error('lost contact with ZooKeeper: lease expired'));
      return;
    }
    if (!this.stopped) {
      this.abortReason = undefined;
    }
    this.releaseLeftovers();
    const missedFire = this.leaseMissed;
    this.leaseMissed = undefined;
    if (missedFire !== undefined) {
      this.runLeaseMissed(missedFire).catch((error) =>
        logger.warn(`Job "${this.deps.config.name}": the fire missed while the lease was lost did not run: ${error}`),
      );
    }
    [...(this.pendingMisfire?.keys() ?? [])].forEach((item) => this.runMisfire(item));
    this.claimFailover();
  }

  /**
   * Runs the fire missed while the lease was lost, as a misfire, only if nobody else can have run it: the session is
   * the one it was missed in (so this instance's node never went and its items were not failed over), and the
   * assignment in ZooKeeper is the one it was missed under (so its items were not given to others meanwhile).
   */
  private async runLeaseMissed(missed: LeaseMissedFire): Promise<void> {
    const { registry, paths, config } = this.deps;
    const sameSession = () => missed.sessionId !== '' && registry.getSessionId() === missed.sessionId;
    const stamp = sameSession() ? Number(await registry.get(paths.sharding)) || 0 : undefined;
    if (!sameSession() || stamp !== missed.stamp) {
      logger.warn(
        `Job "${config.name}": the fire of ${new Date(missed.fireTime).toISOString()}, missed while the lease was lost, ` +
          `is not run here: ${sameSession() ? 'its items were resharded meanwhile' : 'the session ended meanwhile'}`,
      );
      return;
    }
    this.trigger(missed.fireTime, true);
  }

  /**
   * A new session replaced the one this instance's runs and assignment were known in: what it missed in the old one
   * (fires missed while the lease was lost, items that found their run still going) is not run here, since its items
   * may have been taken over; the reshard that follows records what nobody ran for the items' next owners.
   */
  resetForNewSession(): void {
    this.leaseMissed = undefined;
    this.pendingMisfire?.clear();
  }

  /**
   * Claims one queued failover item and runs it, if this instance is idle (no item of the job running here): the
   * next is claimed when this run ends, so that queued items spread over the idle instances.
   */
  claimFailover(): void {
    const { config, server, registry, failover } = this.deps;
    if (
      this.claimingFailover ||
      this.stopped ||
      this.leaving ||
      this.running.size > 0 ||
      !config.failover ||
      !config.monitorExecution ||
      !server.isEnabled() ||
      !registry.hasLease()
    ) {
      return;
    }
    const queued = failover.queuedItems();
    if (queued.length === 0) {
      return;
    }
    this.claimingFailover = true;
    this.runFailover(config, queued)
      .catch((error) => logger.warn(`Job "${config.name}": failover failed: ${error}`))
      .finally(() => {
        this.claimingFailover = false;
        if (this.running.size === 0 && failover.queuedItems().length > 0) {
          setTimeout(() => this.claimFailover(), 100).unref();
        }
      });
  }

  private async runFailover(config: ResolvedJobConfiguration, queued: number[]): Promise<void> {
    const { failover, execution } = this.deps;
    for (const item of queued) {
      const origin = failover.origin(item);
      if (origin === undefined || this.running.size > 0 || this.stopped || !(await failover.claim(item))) {
        continue;
      }
      this.running.add(item);
      let claim: RunClaim | undefined;
      try {
        claim = await this.awaitFailoverRun(item, origin);
        if (claim) {
          await failover.begin(item);
        }
      } catch (error) {
        if (claim) {
          await execution.registerComplete([claim]).catch(() => undefined);
        }
        await failover.release(item).catch(() => undefined);
        this.release(item);
        throw error;
      }
      if (!claim) {
        await failover.release(item);
        this.release(item);
        continue;
      }
      (this.claims ??= new Map()).set(item, claim);
      logger.log(`Job "${config.name}": item ${item} failed over to this instance`);
      const outcomes = this.runItems(config, [item], claim.fireTime, 'FAILOVER');
      this.report(config, this.collect(config, outcomes));
      return;
    }
  }

  /**
   * Marks the claimed item running for its failover run, once the interrupted run's marker is gone (an instance
   * leaving gracefully keeps it until its grace period ends). `undefined` when the entry was taken back meanwhile
   * (that run finished after all) or this instance stops.
   */
  private async awaitFailoverRun(item: number, origin: string): Promise<RunClaim | undefined> {
    const { execution, failover, cache, paths } = this.deps;
    const fireTime = parseRunningMarker(origin)?.fireTime ?? Date.now();
    const marker = paths.running(item);
    while (!this.stopped) {
      const claim = await execution.claim(item, fireTime);
      if (claim) {
        if (await failover.isQueued(item, origin)) {
          return claim;
        }
        await execution.registerComplete([claim]);
        return undefined;
      }
      await waitForCache(cache, () => this.stopped || !cache.has(marker), FAILOVER_WAIT_MS);
    }
    return undefined;
  }

  /**
   * Before this instance leaves gracefully: its runs' markers become ephemeral and, with `failover`, each running item
   * is queued at once, so that whoever takes it runs it as soon as it is given up here (or at once if this process
   * dies). Items that finish here take their entry back.
   */
  async prepareLeave(): Promise<void> {
    this.leaving = true;
    await Promise.allSettled([...(this.starting ?? [])]);
    const { config, execution, failover } = this.deps;
    const claims = [...(this.claims?.values() ?? [])];
    await execution.markLeaving(claims);
    if (config.failover) {
      for (const claim of claims) {
        await failover.enqueue(claim.item, claim.marker);
      }
    }
  }

  /**
   * Stops accepting fires and waits for running items up to `graceMs`; then aborts their `signal` and waits for
   * them to settle.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.running.size === 0) {
      return;
    }
    const idle = new Promise<void>((resolve) => this.idle.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
    const timedOut = await Promise.race([idle.then(() => false), graceOver]);
    clearTimeout(timer);
    if (timedOut) {
      logger.warn(
        `Job "${this.deps.config.name}": items ${this.runningItems} still running after ${graceMs} ms; aborting them`,
      );
      this.abortRunning(new Error('instance shutting down'));
      await idle;
    }
  }

  /** Aborts the `signal` of every running item; those that then fail count as interrupted (failover). */
  private abortRunning(reason: Error): void {
    this.abortReason = reason;
    for (const context of this.abortable) {
      if (context.abort(reason)) {
        (this.interrupted ??= new Set()).add(context.shardingItem);
      }
    }
  }

  private report(config: ResolvedJobConfiguration, run: Promise<void> | undefined): void {
    run?.catch((error) =>
      logger.error(
        `Job "${config.name}" execution failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
      ),
    );
  }

  private async executeMonitored(
    config: ResolvedJobConfiguration,
    items: number[],
    fireTime: number,
    source: ExecutionSource,
  ): Promise<void> {
    let claims: RunClaim[];
    const registering = this.deps.execution.registerStart(items, fireTime);
    (this.starting ??= new Set()).add(registering);
    try {
      claims = await registering;
    } catch (error) {
      items.forEach((item) => this.release(item));
      if (hasCode(error, 'SESSION_CHANGED')) {
        // The session expired while the markers were written: this fire is missed here.
        items.forEach((item) => this.missed(config, item, fireTime));
        return;
      }
      throw error;
    } finally {
      this.starting!.delete(registering);
    }
    if (!this.deps.registry.hasLease()) {
      // The lease ran out while the markers were written (a slow or lost connection): start nothing.
      this.deps.execution.registerComplete(claims).catch(() => undefined);
      items.forEach((item) => {
        this.release(item);
        this.missed(config, item, fireTime);
      });
      return;
    }
    for (const claim of claims) {
      (this.claims ??= new Map()).set(claim.item, claim);
    }
    const claimed = claims.map((claim) => claim.item);
    for (const item of items.filter((item) => !claimed.includes(item))) {
      // Marked by another instance meanwhile: this fire is missed for it, unless that run is of this fire.
      this.release(item);
      this.missedElsewhere(config, item, fireTime);
    }
    return this.collect(config, this.runItems(config, claimed, fireTime, source));
  }

  /** Starts the items; returns their outcomes (promises only for items that did not finish synchronously). */
  private runItems(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    fireTime: number,
    source: ExecutionSource,
  ): Array<Outcome | Promise<Outcome>> {
    const taskId = source === 'FAILOVER' ? this.failoverTaskId(config, items) : this.taskIdFor(config, items);
    const limit = config.maxConcurrency ?? items.length;
    if (limit >= items.length) {
      return items.map((item) => this.runItem(config, item, taskId, fireTime, source));
    }
    let next = 0;
    const worker = async (): Promise<Outcome[]> => {
      const outcomes: Outcome[] = [];
      while (next < items.length) {
        outcomes.push(await this.runItem(config, items[next++], taskId, fireTime, source));
      }
      return outcomes;
    };
    return Array.from({ length: limit }, () => worker().then((outcomes) => outcomes.find((o) => o !== undefined)));
  }

  /** Settles the fire: resolves, or rejects with the errors a `THROW`-style handler rethrew. */
  private collect(
    config: ResolvedJobConfiguration,
    outcomes: Array<Outcome | Promise<Outcome>>,
  ): Promise<void> | undefined {
    if (outcomes.every(isUndefined)) {
      return undefined;
    }
    return Promise.all(outcomes).then((settled) => {
      const errors = settled.filter((outcome) => outcome !== undefined);
      if (errors.length === 1) {
        throw errors[0];
      }
      if (errors.length > 1) {
        throw new AggregateError(errors, `Job "${config.name}": ${errors.length} items failed`);
      }
    });
  }

  /** Runs one item; returns synchronously when the handler did, else a promise of the outcome. */
  private runItem(
    config: ResolvedJobConfiguration,
    item: number,
    taskId: string,
    fireTime: number,
    source: ExecutionSource,
  ): Outcome | Promise<Outcome> {
    const context = new ItemShardingContext(
      config.name,
      taskId,
      config.shardingTotalCount,
      item,
      this.deps.shardingParameters.get(item) ?? '',
      config.jobParameter ?? '',
      fireTime,
      source,
      this.claims?.get(item)?.token ?? this.deps.sharding.assignmentToken(item),
      this,
    );
    let result: unknown;
    try {
      result = this.deps.handler(context);
    } catch (error) {
      return this.finishItem(config, context, error, true);
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      return Promise.resolve(result).then(
        () => this.finishItem(config, context, undefined, false),
        (error) => this.finishItem(config, context, error, true),
      );
    }
    return this.finishItem(config, context, undefined, false);
  }

  /** After the handler: error handler, running marker, local release. Synchronous in the common case. */
  private finishItem(
    config: ResolvedJobConfiguration,
    context: ItemShardingContext,
    error: unknown,
    failed: boolean,
  ): Outcome | Promise<Outcome> {
    context.release();
    const item = context.shardingItem;
    const interrupted = (this.interrupted?.delete(item) ?? false) && failed;
    const claim = this.claims?.get(item);
    if (claim) {
      this.claims!.delete(item);
    }
    if (!failed && !claim) {
      this.release(item);
      return undefined;
    }
    return (async () => {
      let outcome: Outcome;
      if (interrupted) {
        logger.warn(`Job "${config.name}": item ${item} was aborted (${String(this.abortReason ?? 'aborted')})`);
      } else if (failed) {
        try {
          await this.deps.errorHandler().handleException(config.name, error, item);
        } catch (rethrown) {
          outcome = rethrown ?? new Error(`Job "${config.name}" item ${item} failed`);
        }
      }
      if (claim) {
        await this.completeClaim(config, claim, context.executionSource, interrupted).catch((cause) =>
          logger.warn(`Job "${config.name}": could not clear the running marker of item ${item}: ${cause}`),
        );
      }
      this.release(item);
      return outcome;
    })();
  }

  /**
   * Ends a run's claim: an interrupted run goes to failover (with `failover`) before its marker goes; a run that
   * finished while this instance was leaving takes its failover entry back; a failover run clears its claim.
   */
  private async completeClaim(
    config: ResolvedJobConfiguration,
    claim: RunClaim,
    source: ExecutionSource,
    interrupted: boolean,
  ): Promise<void> {
    const { failover, execution, registry } = this.deps;
    const handOver = interrupted && config.failover;
    try {
      if (claim.sessionId !== registry.getSessionId()) {
        // Written in an earlier session: clean up after it if nobody did.
        await execution.releaseForeign(claim, handOver ? () => failover.enqueue(claim.item, claim.marker) : undefined);
        return;
      }
      if (handOver) {
        await failover.enqueue(claim.item, claim.marker);
      } else if (!interrupted && this.leaving && config.failover) {
        await failover.cancel(claim.item, claim.marker);
      }
      if (source === 'FAILOVER') {
        await failover.release(claim.item);
      }
      await execution.registerComplete([claim]);
    } catch (error) {
      // ZooKeeper out of reach: done once it is back (`onSessionRenewed`, `onLease`), so the marker does not stay.
      (this.leftovers ??= []).push({ claim, handOver });
      throw error;
    }
  }

  /** Cleans up after runs whose end could not be recorded (ZooKeeper was out of reach). */
  private releaseLeftovers(): void {
    const leftovers = this.leftovers?.splice(0) ?? [];
    const { failover, execution } = this.deps;
    for (const { claim, handOver } of leftovers) {
      execution
        .releaseForeign(claim, handOver ? () => failover.enqueue(claim.item, claim.marker) : undefined)
        .catch(() => (this.leftovers ??= []).push({ claim, handOver }));
    }
  }

  /** A new session replaced an expired one: clean up after the old one's runs. */
  onSessionRenewed(): void {
    this.releaseLeftovers();
  }

  /** `{jobName}@-@{items}@-@READY@-@{ip}@-@{pid}`, rebuilt only when the items change. */
  private taskIdFor(config: ResolvedJobConfiguration, items: readonly number[]): string {
    const previous = this.taskIdItems;
    if (!previous || previous.length !== items.length || previous.some((item, i) => item !== items[i])) {
      this.taskIdItems = items;
      this.taskId = [config.name, items.join(','), 'READY', this.deps.identity.instanceId].join(ID_SEPARATOR);
    }
    return this.taskId;
  }

  private failoverTaskId(config: ResolvedJobConfiguration, items: readonly number[]): string {
    return [config.name, items.join(','), 'FAILOVER', this.deps.identity.instanceId].join(ID_SEPARATOR);
  }

  /** Frees an item locally, so that the next fire may run it again; then its missed fires, then failover. */
  private release(item: number): void {
    this.running.delete(item);
    if (this.pendingMisfire?.has(item)) {
      setImmediate(() => this.runMisfire(item));
    }
    if (this.running.size === 0) {
      if (this.idle.length > 0) {
        this.idle.splice(0).forEach((resolve) => resolve());
      }
      if (this.pendingTrigger) {
        this.pendingTrigger = false;
        setImmediate(() => this.triggerByOperator(Date.now()));
      }
      if (this.deps.config.failover) {
        setImmediate(() => this.claimFailover());
      }
    }
  }
}
