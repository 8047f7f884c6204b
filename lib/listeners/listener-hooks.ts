import { logger } from '../elastic-job.logger';
import type { ExecutionHook } from '../executor';
import type { ElasticJobListener, ResolvedJobConfiguration } from '../interfaces';
import { DistributeOnceJobListener } from './distribute-once-job-listener';

const NO_HOOKS: readonly ExecutionHook[] = Object.freeze([]);

/** A per-execution listener as a stage of the fire pipeline. */
const perExecution = (listener: ElasticJobListener): ExecutionHook => ({
  beforeExecution: (contexts) => listener.beforeJobExecuted(contexts),
  afterExecution: (contexts) => listener.afterJobExecuted(contexts),
});

/**
 * The hooks of one job's executions, from its `jobListenerTypes`: the listeners in `order` (then in the order of the
 * types), per-execution ones called as they are, distribute-once ones through `distributeOnce` (the job's guarantee
 * coordination). The same array while the types do not change, so that a fire builds nothing.
 */
export function listenerHooks(
  jobName: string,
  listeners: ReadonlyMap<string, ElasticJobListener>,
  distributeOnce: (listener: DistributeOnceJobListener) => ExecutionHook,
): (config: ResolvedJobConfiguration) => readonly ExecutionHook[] {
  let types: readonly string[] | undefined;
  let hooks = NO_HOOKS;
  return (config) => {
    if (config.jobListenerTypes !== types) {
      types = config.jobListenerTypes;
      hooks = build(jobName, types, listeners, distributeOnce);
    }
    return hooks;
  };
}

function build(
  jobName: string,
  types: readonly string[],
  listeners: ReadonlyMap<string, ElasticJobListener>,
  distributeOnce: (listener: DistributeOnceJobListener) => ExecutionHook,
): readonly ExecutionHook[] {
  if (types.length === 0) {
    return NO_HOOKS;
  }
  const known: ElasticJobListener[] = [];
  for (const type of new Set(types)) {
    const listener = listeners.get(type);
    if (listener) {
      known.push(listener);
    } else {
      // Only a configuration changed in the registry gets here (a declared job's types are checked at start-up).
      logger.warn(`Job "${jobName}": no listener of type "${type}" in this application (jobListenerTypes); skipped`);
    }
  }
  const rank = (listener: ElasticJobListener) => listener.order ?? Number.POSITIVE_INFINITY;
  // Array.prototype.sort is stable: equal orders keep the order of the types.
  return known
    .sort((a, b) => rank(a) - rank(b))
    .map((listener) =>
      listener instanceof DistributeOnceJobListener ? distributeOnce(listener) : perExecution(listener),
    );
}
