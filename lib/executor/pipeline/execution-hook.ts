import type { ShardingContexts } from '../../interfaces';

export type { ShardingContexts } from '../../interfaces';

/** How an execution's items ended on this instance, for the after-hooks. */
export interface ExecutionEnd {
  readonly handedOver: ReadonlySet<number>;
}

/**
 * A stage around one execution: `before` runs before its first item starts, `after` once its last item has ended
 * (both may return a promise, which the execution waits for). A hook that throws is reported to the job's error
 * handler; the items still run and the other hooks still run. Hooks run in the order given.
 */
export interface ExecutionHook {
  beforeExecution?(contexts: ShardingContexts): unknown;
  /** `ended.handedOver`: the items whose run was cut short and handed to failover (another instance ends them). */
  afterExecution?(contexts: ShardingContexts, ended: ExecutionEnd): unknown;
}

/**
 * Runs `body` (the execution's items) between the hooks' `before` and `after`, in order; a hook's failure goes to
 * `onHookError` and the execution goes on. Rejects with `body`'s failure, after the `after` hooks ran.
 */
export async function runWithHooks(
  hooks: readonly ExecutionHook[],
  contexts: ShardingContexts,
  onHookError: (error: unknown) => Promise<void>,
  body: () => Promise<void> | undefined,
  ended: ExecutionEnd = { handedOver: new Set() },
): Promise<void> {
  const call = async (stage: () => unknown) => {
    try {
      await stage();
    } catch (error) {
      await onHookError(error);
    }
  };
  for (const hook of hooks) {
    await call(() => hook.beforeExecution?.(contexts));
  }
  try {
    await body();
  } finally {
    for (const hook of hooks) {
      await call(() => hook.afterExecution?.(contexts, ended));
    }
  }
}
