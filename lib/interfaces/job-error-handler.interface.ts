/**
 * Decides what happens to an error thrown by a job handler. Register custom handlers with the module option
 * `errorHandlers` and select them by `type` in `jobErrorHandlerType`.
 */
export interface JobErrorHandler {
  /** The name used in `jobErrorHandlerType`. */
  readonly type: string;
  /** Called once per failed item; may rethrow to make the execution fail (as `THROW` does). */
  handleException(jobName: string, error: unknown, shardingItem?: number): void | Promise<void>;
}
