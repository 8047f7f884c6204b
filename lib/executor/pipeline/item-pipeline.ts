import type { ExecutionSource, ResolvedJobConfiguration } from '../../interfaces';
import { taskIdOf } from '../../storage';
import type { JobItemExecutor } from '../job-types';
import type { JobFacade, RunClaim } from '../job-facade';
import type { ItemOwner, RunState } from '../run-state';
import { ItemShardingContext } from '../sharding-context';
import { ExecutionHook, runWithHooks, ShardingContexts } from './execution-hook';
import { itemEvent, JobEventBus, JobStatusTraceEvent } from './job-event-bus';
import { logger } from '../../elastic-job.logger';

const isUndefined = (value: unknown) => value === undefined;

/** What one item's run ended with: nothing, or the error its error handler rethrew. */
type Outcome = unknown;

/** The stages a job's executions go through, besides the coordination: how an item runs, hooks, the event sink. */
export interface PipelineStages {
  readonly itemExecutor: JobItemExecutor;
  readonly hooks: readonly ExecutionHook[];
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

  constructor(
    private readonly facade: JobFacade,
    private readonly state: RunState,
    private readonly stages: PipelineStages,
    /** Frees an item when its run is over here (the executor). */
    private readonly owner: ItemOwner,
  ) {}

  /** Runs the items; `undefined` when they all finished synchronously, else a promise that rejects on rethrown errors. */
  run(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    fireTime: number,
    source: ExecutionSource,
  ): Promise<void> | undefined {
    const taskId =
      source === 'FAILOVER'
        ? taskIdOf(config.name, items, 'FAILOVER', this.facade.instanceId)
        : this.readyTaskId(config, items);
    if (this.stages.hooks.length === 0 && !this.stages.events.active) {
      return this.collect(config, this.runItems(config, items, taskId, fireTime, source));
    }
    return this.runStaged(config, items, taskId, fireTime, source);
  }

  /** Cleans up after runs whose end could not be recorded (ZooKeeper was out of reach). */
  releaseLeftovers(): void {
    for (const { claim, handOver } of this.leftovers?.splice(0) ?? []) {
      this.facade.releaseForeign(claim, handOver).catch(() => (this.leftovers ??= []).push({ claim, handOver }));
    }
  }

  private async runStaged(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    taskId: string,
    fireTime: number,
    source: ExecutionSource,
  ): Promise<void> {
    const { facade, stages } = this;
    const contexts: ShardingContexts = {
      jobName: config.name,
      taskId,
      shardingTotalCount: config.shardingTotalCount,
      jobParameter: config.jobParameter ?? '',
      shardingItemParameters: new Map(
        Array.from({ length: config.shardingTotalCount }, (_, item) => [item, facade.shardingParameter(item)]),
      ),
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
      Promise.resolve(facade.errorHandler().handleException(config.name, error)).catch((rethrown) =>
        logger.error(`Job "${config.name}": a hook failed: ${rethrown}`),
      );
    status('TASK_RUNNING');
    try {
      await runWithHooks(stages.hooks, contexts, onHookError, () =>
        this.collect(config, this.runItems(config, items, taskId, fireTime, source)),
      );
    } catch (error) {
      status('TASK_ERROR', String(error));
      throw error;
    }
    status('TASK_FINISHED');
  }

  /** Starts the items; returns their outcomes (promises only for items that did not finish synchronously). */
  private runItems(
    config: ResolvedJobConfiguration,
    items: readonly number[],
    taskId: string,
    fireTime: number,
    source: ExecutionSource,
  ): Array<Outcome | Promise<Outcome>> {
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
      this.facade.shardingParameter(item),
      config.jobParameter ?? '',
      fireTime,
      source,
      this.state.claims?.get(item)?.token ?? this.facade.assignmentToken(item),
      this.state,
    );
    const { events } = this.stages;
    const startTime = events.active ? Date.now() : 0;
    if (events.active) {
      events.post(itemEvent(context, this.facade.instanceId, startTime));
    }
    let result: unknown;
    try {
      result = this.stages.itemExecutor.execute(context, context);
    } catch (error) {
      return this.finishItem(config, context, startTime, error, true);
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      return Promise.resolve(result).then(
        () => this.finishItem(config, context, startTime, undefined, false),
        (error) => this.finishItem(config, context, startTime, error, true),
      );
    }
    return this.finishItem(config, context, startTime, undefined, false);
  }

  /** After the item executor: error handler, running marker, local release. Synchronous in the common case. */
  private finishItem(
    config: ResolvedJobConfiguration,
    context: ItemShardingContext,
    startTime: number,
    error: unknown,
    failed: boolean,
  ): Outcome | Promise<Outcome> {
    context.release();
    const item = context.shardingItem;
    const interrupted = this.state.takeInterrupted(item) && failed;
    const claim = this.state.takeClaim(item);
    if (this.stages.events.active) {
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
        try {
          await this.facade.errorHandler().handleException(config.name, error, item);
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
