import { ExecutionSource, ResolvedJobConfiguration, ShardingContext } from '../interfaces';

/** Where contexts whose `signal` was read register, so that they can be aborted. */
export interface AbortRegistry {
  readonly abortReason: unknown;
  readonly abortable: Set<ItemShardingContext>;
  /** Whether the item is still this instance's and the instance is not shutting down. */
  isCurrent(item: number): boolean;
  /** Whether the job streams (dataflow `streaming.process`), from its live configuration. */
  isStreaming(): boolean;
  /** The job's configuration in force. */
  configuration(): ResolvedJobConfiguration;
}

/**
 * The `ShardingContext` of one item of one fire. Its `AbortController` is made only when the handler reads `signal`
 * (most never do), which keeps the cost of a fire low with thousands of jobs.
 */
export class ItemShardingContext implements ShardingContext {
  private controller?: AbortController;
  /** Counted up by the pipeline when it retries the item. */
  attempt = 1;

  constructor(
    readonly jobName: string,
    readonly taskId: string,
    readonly shardingTotalCount: number,
    readonly shardingItem: number,
    readonly shardingParameter: string,
    readonly jobParameter: string,
    readonly fireTime: number,
    readonly executionSource: ExecutionSource,
    readonly fencingToken: number,
    private readonly owner: AbortRegistry,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.owner.abortReason !== undefined) {
        this.controller.abort(this.owner.abortReason);
      } else {
        this.owner.abortable.add(this);
      }
    }
    return this.controller.signal;
  }

  /** Aborts `signal` (if the handler read it); returns whether it did. */
  abort(reason: unknown): boolean {
    if (!this.controller || this.controller.signal.aborted) {
      return false;
    }
    this.controller.abort(reason);
    return true;
  }

  /** Whether this run may go on: the item is still this instance's, and the instance is not shutting down. */
  isCurrent(): boolean {
    return this.owner.isCurrent(this.shardingItem);
  }

  /** Whether the job streams (dataflow jobs). */
  isStreaming(): boolean {
    return this.owner.isStreaming();
  }

  /** The job's configuration in force. */
  configuration(): ResolvedJobConfiguration {
    return this.owner.configuration();
  }

  /** Called when the item's run is over. */
  release(): void {
    if (this.controller) {
      this.owner.abortable.delete(this);
    }
  }

  toJSON() {
    const { jobName, taskId, shardingTotalCount, shardingItem, shardingParameter, jobParameter } = this;
    const { fireTime, executionSource, fencingToken, attempt } = this;
    return {
      jobName,
      taskId,
      shardingTotalCount,
      shardingItem,
      shardingParameter,
      jobParameter,
      fireTime,
      executionSource,
      fencingToken,
      attempt,
    };
  }
}
