import type { ExecutionSource, ResolvedJobConfiguration } from '../../interfaces';
import { taskIdOf } from '../../storage';
import type { JobItemExecutor } from '../job-types';
import type { JobFacade, RunClaim } from '../job-facade';
import type { ItemOwner, RunState } from '../run-state';
import { ItemShardingContext } from '../sharding-context';
import { ExecutionHook, runWithHooks, ShardingContexts } from './execution-hook';
import { itemEvent, JobEventBus, JobStatusTraceEvent } from './job-event-bus';
import { retryPolicyOf, RetryPolicy } from '../../config';
import { errorContextOf, Execution } from './execution';
import { ItemRetries } from './item-retries';
import { logger } from '../../elastic-job.logger';

const isUndefined = (value: unknown) => value === undefined;
const NONE: ReadonlySet<number> = new Set();

/** What one item's run ended with: nothing, or the error its error handler rethrew. */
type Outcome = unknown;

/** The stages a job's executions go through, besides the coordination: how an item runs, hooks, the event sink. */
export interface PipelineStages {
  readonly itemExecutor: JobItemExecutor;
  /** The hooks of an execution under `config` (its listeners, from `jobListenerTypes`): the same array while it holds. */
  readonly hooks: (config: ResolvedJobConfiguration) => readonly ExecutionHook[];
  readonly events: JobEventBus;
}

/**
 * One execution's path, once its items are chosen (and marked running): before-hooks, then per item (in parallel up
 * to `maxConcurrency`) the job type's item executor, the error handler, the end of the item's run marker (and its
 * hand-over to failover when it was interrupted), an event per item; then after-hooks. Without hooks or subscribers
 * the path is synchronous for synchronous handlers and allocates no promise.
 */
export class ItemPipeline {
  // Runs whose marker could not be removed (or item handed over) when they ended.
  private leftovers?: Array<{ claim: RunClaim; handOver: boolean }>;
  private taskIdItems?: readonly number[];
  private taskId = '';
  private readonly retries: ItemRetries;

  constructor(
    private readonly facade: JobFacade,
    private readonly state: RunState,
    private readonly stages: PipelineStages,
    /** Frees an item when its run is over here (the executor). */
    private readonly owner: ItemOwner,
  ) {
    this.retries = new ItemRetries(facade, state, stages.events);
  }

  /**
   * Runs the items; `undefined` when they all finished synchronously, else a promise that rejects on rethrown errors.
   * `jobParameter` is a trigger's parameter for this execution (else the configured one).
   */
  run(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    fireTime: number,
    source: ExecutionSource,
    jobParameter?: string,
  ): Promise<void> | undefined {
    const taskId =
      source === 'FAILOVER'
        ? taskIdOf(config.name, items, 'FAILOVER', this.facade.instanceId)
        : this.readyTaskId(config, items);
    let retry: RetryPolicy | undefined;
    try {
      retry = retryPolicyOf(config.name, config.props);
    } catch (error) {
      // Props changed live to an invalid retry policy: the items run once, and the operator hears of it.
      logger.error(String((error as Error).message ?? error));
    }
    const execution: Execution = {
      config,
      taskId,
      fireTime,
      source,
      jobParameter: jobParameter ?? config.jobParameter ?? '',
      retry,
    };
    const { state } = this;
    state.lastFireTime = fireTime;
    state.lastStartTime = Date.now();
    state.lastSource = source;
    const hooks = this.stages.hooks(config);
    if (hooks.length === 0 && !this.stages.events.active) {
      return this.collect(config, this.runItems(execution, items));
    }
    return this.runStaged(execution, items, hooks);
  }

  /** Cleans up after runs whose end could not be recorded (ZooKeeper was out of reach). */
  releaseLeftovers(): void {
    for (const { claim, handOver } of this.leftovers?.splice(0) ?? []) {
      this.facade.releaseForeign(claim, handOver).catch(() => (this.leftovers ??= []).push({ claim, handOver }));
    }
  }

  private async runStaged(
    execution: Execution,
    items: readonly number[],
    hooks: readonly ExecutionHook[],
  ): Promise<void> {
    const { facade, stages } = this;
    const { config, taskId, fireTime, source } = execution;
    const contexts: ShardingContexts = {
      jobName: config.name,
      taskId,
      shardingTotalCount: config.shardingTotalCount,
      jobParameter: execution.jobParameter,
      // This instance's items of the execution, as ElasticJob's: a listener of a job of many items builds little.
      shardingItemParameters: new Map(items.map((item) => [item, facade.shardingParameter(item)])),
      shardingItems: items,
      fireTime,
      executionSource: source,
    };
    const status = (state: JobStatusTraceEvent['state'], message = '') =>
      stages.events.active &&
      stages.events.post({
        kind: 'status',
        ...{ jobName: config.name, taskId, instanceId: facade.instanceId, shardingItems: items },
        ...{ executionSource: source, state, message, time: Date.now() },
      });
    const onHookError = (error: unknown) =>
      Promise.resolve(
        facade
          .errorHandler()
          .handleException(config.name, error, undefined, undefined, errorContextOf(execution, facade.instanceId)),
      ).catch((rethrown) => logger.error(`Job "${config.name}": a hook failed: ${rethrown}`));
    // ElasticJob's steps of an execution: staged, running, then finished or in error.
    status('TASK_STAGING', `Job '${config.name}' execute begin.`);
    status('TASK_RUNNING');
    try {
      const ended = {
        get handedOver(): ReadonlySet<number> {
          return execution.handedOver ?? NONE;
        },
      };
      const settling = runWithHooks(
        hooks,
        contexts,
        onHookError,
        () => this.collect(config, this.runItems(execution, items)),
        ended,
      );
      // Shutdown waits for the after-hooks too (their writes need the session).
      this.state.track(settling);
      await settling;
    } catch (error) {
      status('TASK_ERROR', String(error));
      throw error;
    }
    status('TASK_FINISHED');
  }

  /** Starts the items; returns their outcomes (promises only for items that did not finish synchronously). */
  private runItems(execution: Execution, items: readonly number[]): Array<Outcome | Promise<Outcome>> {
    const limit = execution.config.maxConcurrency ?? items.length;
    if (limit >= items.length) {
      return items.map((item) => this.runItem(execution, item));
    }
    let next = 0;
    const worker = async (): Promise<Outcome[]> => {
      const outcomes: Outcome[] = [];
      while (next < items.length) {
        outcomes.push(await this.runItem(execution, items[next++]));
      }
      return outcomes;
    };
    return Array.from({ length: limit }, () => worker().then((outcomes) => outcomes.find((o) => o !== undefined)));
  }

  /** Settles the execution: resolves, or rejects with the errors a `THROW`-style handler rethrew. */
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

  /** Runs one item; returns synchronously when the item executor did, else a promise of the outcome. */
  private runItem(execution: Execution, item: number): Outcome | Promise<Outcome> {
    const { config } = execution;
    const context = new ItemShardingContext(
      config.name,
      execution.taskId,
      config.shardingTotalCount,
      item,
      this.facade.shardingParameter(item),
      execution.jobParameter,
      execution.fireTime,
      execution.source,
      this.state.claims?.get(item)?.token ?? this.facade.assignmentToken(item),
      this.state,
    );
    return this.attempt(execution, context);
  }

  /** One attempt of the item's run (the first, or a retry). */
  private attempt(execution: Execution, context: ItemShardingContext): Outcome | Promise<Outcome> {
    const { events } = this.stages;
    const startTime = events.active ? Date.now() : 0;
    if (events.active) {
      events.post(itemEvent(context, this.facade.instanceId, startTime));
    }
    let result: unknown;
    try {
      result = this.stages.itemExecutor.execute(context, context);
    } catch (error) {
      return this.afterFailure(execution, context, startTime, error);
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      return Promise.resolve(result).then(
        () => this.finishItem(execution, context, startTime, undefined, false),
        (error) => this.afterFailure(execution, context, startTime, error),
      );
    }
    return this.finishItem(execution, context, startTime, undefined, false);
  }

  /** A failed attempt: retried after its backoff while the policy allows and the item is still this run's, else over. */
  private afterFailure(
    execution: Execution,
    context: ItemShardingContext,
    startTime: number,
    error: unknown,
  ): Outcome | Promise<Outcome> {
    const { retry, source } = execution;
    if (!retry || !this.retries.allows(retry, source, context)) {
      return this.finishItem(execution, context, startTime, error, true);
    }
    return this.retries.waitToRetry(execution, retry, context, startTime, error).then((again) => {
      if (!again) {
        return this.finishItem(execution, context, startTime, error, true, context.attempt);
      }
      context.attempt++;
      return this.attempt(execution, context);
    });
  }

  /**
   * After the item executor: error handler, running marker, local release. Synchronous in the common case.
   * `reported` is the attempt whose end was already posted (a retry that did not happen).
   */
  private finishItem(
    execution: Execution,
    context: ItemShardingContext,
    startTime: number,
    error: unknown,
    failed: boolean,
    reported?: number,
  ): Outcome | Promise<Outcome> {
    const { config, retry } = execution;
    context.release();
    const item = context.shardingItem;
    const interrupted = this.state.takeInterrupted(item) && failed;
    if (interrupted && config.failover) {
      (execution.handedOver ??= new Set()).add(item);
    }
    const claim = this.state.takeClaim(item);
    if (this.stages.events.active && reported !== context.attempt) {
      const end = { success: !failed, failureCause: failed ? error : undefined };
      this.stages.events.post(itemEvent(context, this.facade.instanceId, startTime, end));
    }
    if (!failed && !claim) {
      this.owner.release(item);
      return undefined;
    }
    return (async () => {
      let outcome: Outcome;
      if (interrupted) {
        logger.warn(`Job "${config.name}": item ${item} was aborted (${String(this.state.abortReason ?? 'aborted')})`);
      } else if (failed) {
        this.state.lastFailure = { time: Date.now(), item, message: String((error as Error)?.message ?? error) };
        const attempt = retry ? { attempt: context.attempt, maxAttempts: retry.retries + 1 } : undefined;
        try {
          const context = errorContextOf(execution, this.facade.instanceId);
          await this.facade.errorHandler().handleException(config.name, error, item, attempt, context);
        } catch (rethrown) {
          outcome = rethrown ?? new Error(`Job "${config.name}" item ${item} failed`);
        }
      }
      if (claim) {
        await this.completeClaim(config, claim, context.executionSource, interrupted).catch((cause) =>
          logger.warn(`Job "${config.name}": could not clear the running marker of item ${item}: ${cause}`),
        );
      }
      this.owner.release(item);
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
    const { facade } = this;
    const handOver = interrupted && config.failover;
    try {
      if (claim.sessionId !== facade.sessionId()) {
        // Written in an earlier session: clean up after it if nobody did.
        await facade.releaseForeign(claim, handOver);
        return;
      }
      if (handOver) {
        await facade.enqueueFailover(claim.item, claim.marker);
      } else if (!interrupted && this.state.leaving && config.failover) {
        await facade.cancelFailover(claim.item, claim.marker);
      }
      if (source === 'FAILOVER') {
        await facade.releaseFailover(claim.item);
      }
      await facade.registerComplete([claim]);
    } catch (error) {
      // ZooKeeper out of reach: done once it is back (`releaseLeftovers`), so the marker does not stay.
      (this.leftovers ??= []).push({ claim, handOver });
      throw error;
    }
  }

  /** `{jobName}@-@{items}@-@READY@-@{instanceId}`, rebuilt only when the items change. */
  private readyTaskId(config: ResolvedJobConfiguration, items: readonly number[]): string {
    const previous = this.taskIdItems;
    if (!previous || previous.length !== items.length || previous.some((item, i) => item !== items[i])) {
      this.taskIdItems = items;
      this.taskId = taskIdOf(config.name, items, 'READY', this.facade.instanceId);
    }
    return this.taskId;
  }
}
