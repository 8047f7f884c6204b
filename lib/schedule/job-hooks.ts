import { logger } from '../elastic-job.logger';
import type { ExecutionHook } from '../executor';
import { GuaranteeService } from '../guarantee';
import type { ElasticJobListener, ResolvedJobConfiguration } from '../interfaces';
import { DistributeOnceJobListener, distributeOnceHook, listenerHooks } from '../listeners';
import type { RegistryCenter, TreeCache } from '../registry-center';
import type { JobNodePath } from '../storage';
import type { LiteJobFacade } from './lite-job-facade';

const NO_HOOKS: readonly ExecutionHook[] = Object.freeze([]);
const NO_LISTENERS = (): readonly ExecutionHook[] => NO_HOOKS;

/** A job's listeners as hooks of its fire pipeline, and the guarantee coordination when it may need one. */
export interface JobHooks {
  readonly hooks: (config: ResolvedJobConfiguration) => readonly ExecutionHook[];
  /** Made only when the application has a distribute-once listener: it follows the job's cache. */
  readonly guarantee?: GuaranteeService;
}

/**
 * The hooks of one job. An application without listeners shares one empty function for every job, and one without
 * distribute-once listeners builds no guarantee coordination: thousands of jobs pay nothing for them.
 */
export function jobHooks(
  listeners: ReadonlyMap<string, ElasticJobListener>,
  job: { registry: RegistryCenter; cache: TreeCache; paths: JobNodePath; instanceId: string; facade: LiteJobFacade },
): JobHooks {
  if (listeners.size === 0) {
    return { hooks: NO_LISTENERS };
  }
  const { registry, cache, paths, instanceId, facade } = job;
  const distributed = [...listeners.values()].some((listener) => listener instanceof DistributeOnceJobListener);
  const guarantee = distributed ? new GuaranteeService(registry, cache, paths, instanceId) : undefined;
  const hooks = listenerHooks(paths.jobName, listeners, (listener) =>
    distributeOnceHook(listener, {
      guarantee: guarantee!,
      config: () => facade.config,
      report: (error) =>
        Promise.resolve()
          .then(() => facade.errorHandler().handleException(facade.config.name, error))
          .catch((rethrown) => logger.error(`Job "${facade.config.name}": ${rethrown}`)),
    }),
  );
  return { hooks, guarantee };
}
