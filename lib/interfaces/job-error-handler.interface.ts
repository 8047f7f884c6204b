import type { ExecutionSource } from './sharding-context.interface';

/** Which run of an item failed, when the job retries (`props['retry.max.attempts']`). */
export interface ItemAttempt {
  /** 1 for the first run, 2 for the first retry, ... */
  readonly attempt: number;
  /** Runs at most: `1 + retry.max.attempts`. */
  readonly maxAttempts: number;
  /** Set when the item is retried: the wait before the next attempt. Unset on the failure that is the item's. */
  readonly retryInMilliseconds?: number;
}

/** The execution a failure belongs to, for handlers that report it (alerts). */
export interface JobErrorContext {
  readonly jobName: string;
  readonly taskId: string;
  /** The instance the failure happened on. */
  readonly instanceId: string;
  readonly fireTime: number;
  readonly executionSource: ExecutionSource;
  /** The job's props in force (an alert's settings: `dingtalk.webhook`, `email.to`, ...). */
  readonly props: Readonly<Record<string, string>>;
}

/**
 * Decides what happens to an error thrown by a job handler. Register custom handlers with the module option
 * `errorHandlers` and select them by `type` in `jobErrorHandlerType`.
 */
export interface JobErrorHandler {
  /** The name used in `jobErrorHandlerType`. */
  readonly type: string;
  /**
   * Called once per failed item run; may rethrow to make the execution fail (as `THROW` does). With retries it is
   * called for every failed attempt, `attempt.retryInMilliseconds` set while the item will be retried (a rethrow is
   * then ignored: only the last failure is the item's).
   */
  handleException(
    jobName: string,
    error: unknown,
    shardingItem?: number,
    attempt?: ItemAttempt,
    context?: JobErrorContext,
  ): void | Promise<void>;
  /**
   * Checks a job's props for this handler's settings (an alert's webhook, ...) when the job is declared; throws a
   * `JobConfigurationError` naming the job and the prop, so that a misconfigured alert fails the start, not the alert.
   */
  checkProps?(jobName: string, props: Readonly<Record<string, string>>): void;
}
