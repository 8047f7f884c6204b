import { Logger } from '@nestjs/common';
import { ID_SEPARATOR, LOGGER_CONTEXT } from '../elastic-job.constants';
import { ExecutionService, InstanceIdentity, ServerService, ShardingService } from '../coordination';
import { JobErrorHandler, ResolvedJobConfiguration, ShardingContext } from '../interfaces';

/** A job's handler: called once per sharding item assigned to this instance. */
export type JobHandler = (context: ShardingContext) => unknown;

/** The services and settings an executor reads at each fire; the bootstrap replaces `config` on live changes. */
export interface JobExecutorDependencies {
  config: ResolvedJobConfiguration;
  shardingParameters: Map<number, string>;
  readonly handler: JobHandler;
  readonly errorHandler: () => JobErrorHandler;
  readonly identity: InstanceIdentity;
  readonly server: ServerService;
  readonly sharding: ShardingService;
  readonly execution: ExecutionService;
}

/**
 * Runs one job's fires on this instance: picks this instance's items, skips items still running, marks them running
 * when `monitorExecution` is on, calls the handler per item (in parallel up to `maxConcurrency`), and hands failures
 * to the job's error handler. A failing handler never escapes as an unhandled rejection.
 */
export class JobExecutor {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly running = new Set<number>();
  private readonly controllers = new Set<AbortController>();
  private readonly idle: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly deps: JobExecutorDependencies) {}

  /** Items of this job running on this instance now. */
  get runningItems(): number[] {
    return [...this.running];
  }

  /** Runs one fire; resolves when every item of it has finished. Rejects only through a `THROW` error handler. */
  async execute(): Promise<void> {
    const { config, server, sharding, execution } = this.deps;
    if (this.stopped || !server.isEnabled()) {
      return;
    }
    const items = sharding
      .getLocalShardingItems(config.shardingTotalCount)
      .filter((item) => !this.running.has(item) && !(config.monitorExecution && execution.isRunningElsewhere(item)));
    if (items.length === 0) {
      return;
    }
    for (const item of items) {
      this.running.add(item);
    }
    let claimed = items;
    if (config.monitorExecution) {
      try {
        claimed = await execution.registerStart(items);
      } catch (error) {
        items.forEach((item) => this.release(item));
        throw error;
      }
      items.filter((item) => !claimed.includes(item)).forEach((item) => this.release(item));
    }
    const taskId = [config.name, claimed.join(','), 'READY', this.deps.identity.instanceId].join(ID_SEPARATOR);
    const errors = await this.runItems(config, claimed, taskId);
    if (errors.length > 0) {
      throw errors.length === 1
        ? errors[0]
        : new AggregateError(errors, `Job "${config.name}": ${errors.length} items failed`);
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
      this.logger.warn(
        `Job "${this.deps.config.name}": items ${this.runningItems} still running after ${graceMs} ms; aborting them`,
      );
      for (const controller of this.controllers) {
        controller.abort(new Error('instance shutting down'));
      }
      await idle;
    }
  }

  private async runItems(config: ResolvedJobConfiguration, items: number[], taskId: string): Promise<unknown[]> {
    const errors: unknown[] = [];
    const limit = Math.min(config.maxConcurrency ?? items.length, items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const error = await this.runItem(config, items[next++], taskId);
        if (error !== undefined) {
          errors.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    return errors;
  }

  /** Runs one item; resolves with the error a `THROW`-style handler rethrew, if any. */
  private async runItem(config: ResolvedJobConfiguration, item: number, taskId: string): Promise<unknown> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const context: ShardingContext = {
      jobName: config.name,
      taskId,
      shardingTotalCount: config.shardingTotalCount,
      shardingItem: item,
      shardingParameter: this.deps.shardingParameters.get(item) ?? '',
      jobParameter: config.jobParameter ?? '',
      signal: controller.signal,
      fencingToken: 0,
    };
    try {
      await this.deps.handler(context);
      return undefined;
    } catch (error) {
      try {
        await this.deps.errorHandler().handleException(config.name, error, item);
        return undefined;
      } catch (rethrown) {
        return rethrown ?? new Error(`Job "${config.name}" item ${item} failed`);
      }
    } finally {
      this.controllers.delete(controller);
      if (config.monitorExecution) {
        await this.deps.execution
          .registerComplete([item])
          .catch((error) =>
            this.logger.warn(`Job "${config.name}": could not clear the running marker of item ${item}: ${error}`),
          );
      }
      this.release(item);
    }
  }

  /** Frees an item locally, so that the next fire may run it again. */
  private release(item: number): void {
    this.running.delete(item);
    if (this.running.size === 0) {
      this.idle.splice(0).forEach((resolve) => resolve());
    }
  }
}
