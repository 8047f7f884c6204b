import { Logger } from '@nestjs/common';
import { ExecutionService, InstanceIdentity, ServerService, ShardingService } from '../coordination';
import { ID_SEPARATOR, LOGGER_CONTEXT, STREAMING_PROCESS_PROP } from '../elastic-job.constants';
import { JobErrorHandler, ResolvedJobConfiguration, ShardingContext } from '../interfaces';
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
  private readonly idle: Array<() => void> = [];
  private stopped = false;
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
  fire(fireTime: number): Promise<void> | undefined {
    const { config, server, sharding } = this.deps;
    if (this.stopped || !server.isEnabled()) {
      return undefined;
    }
    if (sharding.isShardingNecessary(fireTime) || sharding.isStale()) {
      const runAfterSharding = () => this.fireItems() ?? DONE;
      return sharding.prepare(config, this.deps.shardingStrategy(), fireTime).then(runAfterSharding, (error) => {
        logger.error(`Job "${config.name}": resharding failed, running with the current assignment: ${error}`);
        return runAfterSharding();
      });
    }
    return this.fireItems();
  }

  /** Runs this instance's items of the fire under the current assignment. */
  private fireItems(): Promise<void> | undefined {
    const { config, server, sharding, execution } = this.deps;
    if (this.stopped || !server.isEnabled()) {
      return undefined;
    }
    const monitored = config.monitorExecution;
    const assigned = sharding.getLocalShardingItems(config.shardingTotalCount);
    let items: readonly number[] = assigned;
    if (monitored || this.running.size > 0) {
      items = assigned.filter((item) => !this.running.has(item) && !(monitored && execution.isRunningElsewhere(item)));
    }
    if (items.length === 0) {
      return undefined;
    }
    for (const item of items) {
      this.running.add(item);
    }
    return monitored ? this.executeMonitored(config, [...items]) : this.collect(config, this.runItems(config, items));
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
      this.abortReason = new Error('instance shutting down');
      for (const context of this.abortable) {
        context.abort(this.abortReason);
      }
      await idle;
    }
  }

  private async executeMonitored(config: ResolvedJobConfiguration, items: number[]): Promise<void> {
    let claimed: number[];
    try {
      claimed = await this.deps.execution.registerStart(items);
    } catch (error) {
      items.forEach((item) => this.release(item));
      throw error;
    }
    items.filter((item) => !claimed.includes(item)).forEach((item) => this.release(item));
    return this.collect(config, this.runItems(config, claimed));
  }

  /** Starts the items; returns their outcomes (promises only for items that did not finish synchronously). */
  private runItems(config: ResolvedJobConfiguration, items: readonly number[]): Array<Outcome | Promise<Outcome>> {
    const taskId = this.taskIdFor(config, items);
    const limit = config.maxConcurrency ?? items.length;
    if (limit >= items.length) {
      return items.map((item) => this.runItem(config, item, taskId));
    }
    let next = 0;
    const worker = async (): Promise<Outcome[]> => {
      const outcomes: Outcome[] = [];
      while (next < items.length) {
        outcomes.push(await this.runItem(config, items[next++], taskId));
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
  private runItem(config: ResolvedJobConfiguration, item: number, taskId: string): Outcome | Promise<Outcome> {
    const context = new ItemShardingContext(
      config.name,
      taskId,
      config.shardingTotalCount,
      item,
      this.deps.shardingParameters.get(item) ?? '',
      config.jobParameter ?? '',
      0,
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
    if (!failed && !config.monitorExecution) {
      this.release(item);
      return undefined;
    }
    return (async () => {
      let outcome: Outcome;
      if (failed) {
        try {
          await this.deps.errorHandler().handleException(config.name, error, item);
        } catch (rethrown) {
          outcome = rethrown ?? new Error(`Job "${config.name}" item ${item} failed`);
        }
      }
      if (config.monitorExecution) {
        await this.deps.execution
          .registerComplete([item])
          .catch((cause) =>
            logger.warn(`Job "${config.name}": could not clear the running marker of item ${item}: ${cause}`),
          );
      }
      this.release(item);
      return outcome;
    })();
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

  /** Frees an item locally, so that the next fire may run it again. */
  private release(item: number): void {
    this.running.delete(item);
    if (this.running.size === 0 && this.idle.length > 0) {
      this.idle.splice(0).forEach((resolve) => resolve());
    }
  }
}
