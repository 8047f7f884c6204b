import type { ExecutionSource } from '../../interfaces';

/** An item's run started or ended (ElasticJob's `JobExecutionEvent`). */
export interface JobExecutionEvent {
  readonly kind: 'execution';
  readonly jobName: string;
  readonly taskId: string;
  readonly instanceId: string;
  readonly shardingItem: number;
  readonly executionSource: ExecutionSource;
  readonly fireTime: number;
  /** 1 for an item's first run in its execution, then 2, 3, ... for its retries. */
  readonly attempt: number;
  readonly startTime: number;
  /** Set when the run has ended. */
  readonly completeTime?: number;
  readonly success?: boolean;
  readonly failureCause?: unknown;
}

/** A step of one execution (ElasticJob's `JobStatusTraceEvent` states). */
export interface JobStatusTraceEvent {
  readonly kind: 'status';
  readonly jobName: string;
  readonly taskId: string;
  readonly instanceId: string;
  readonly shardingItems: readonly number[];
  readonly executionSource: ExecutionSource;
  readonly state: 'TASK_STAGING' | 'TASK_RUNNING' | 'TASK_FINISHED' | 'TASK_ERROR';
  readonly message: string;
  readonly time: number;
}

/** The leader wrote a new assignment of the job's items (posted on the leader only). */
export interface JobReshardEvent {
  readonly kind: 'reshard';
  readonly jobName: string;
  readonly shardingTotalCount: number;
  /** How many instances the items went to. */
  readonly instances: number;
  readonly time: number;
}

export type JobEvent = JobExecutionEvent | JobStatusTraceEvent | JobReshardEvent;

/**
 * Where the fire pipeline reports what it runs (ElasticJob's `JobEventBus`), for tracing and metrics. With no
 * subscriber nothing is built: the pipeline asks `active` first, so that a fire costs nothing extra.
 */
export class JobEventBus {
  private readonly subscribers = new Set<(event: JobEvent) => void>();

  get active(): boolean {
    return this.subscribers.size > 0;
  }

  /** Calls `subscriber` with every event; returns a function that stops it. A subscriber must not throw. */
  subscribe(subscriber: (event: JobEvent) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  post(event: JobEvent): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch {
        // A subscriber's failure is its own; the run goes on.
      }
    }
  }
}

/** The event of an item's run: started (no `end`) or ended. */
export function itemEvent(
  context: {
    jobName: string;
    taskId: string;
    shardingItem: number;
    executionSource: ExecutionSource;
    fireTime: number;
    attempt: number;
  },
  instanceId: string,
  startTime: number,
  end?: { success: boolean; failureCause: unknown },
): JobExecutionEvent {
  const { jobName, taskId, shardingItem, executionSource, fireTime, attempt } = context;
  return {
    kind: 'execution',
    ...{ jobName, taskId, instanceId, shardingItem, executionSource, fireTime, attempt, startTime },
    ...(end && { completeTime: Date.now(), ...end }),
  };
}
