import type { RetryPolicy } from '../../config';
import type { ExecutionSource, JobErrorContext, ResolvedJobConfiguration } from '../../interfaces';

/** One execution on this instance, shared by its items. */
export interface Execution {
  readonly config: ResolvedJobConfiguration;
  readonly taskId: string;
  readonly fireTime: number;
  readonly source: ExecutionSource;
  /** The configured `jobParameter`, or a trigger's. */
  readonly jobParameter: string;
  readonly retry: RetryPolicy | undefined;
  /** Items whose interrupted run was handed to failover (made on the first). */
  handedOver?: Set<number>;
  /** What an error handler is told of the execution, made on the first failure. */
  errorContext?: JobErrorContext;
}

/** The execution as an error handler sees it. */
export function errorContextOf(execution: Execution, instanceId: string): JobErrorContext {
  const { config, taskId, fireTime, source } = execution;
  return (execution.errorContext ??= {
    jobName: config.name,
    taskId,
    instanceId,
    fireTime,
    executionSource: source,
    props: config.props,
  });
}
