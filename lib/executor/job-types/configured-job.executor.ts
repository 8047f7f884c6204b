import type { ConfiguredJobType, ResolvedJobConfiguration } from '../../interfaces';
import { httpJobExecutor } from './http-job.executor';
import type { JobItemExecutor } from './job-item-executor';
import { scriptJobExecutor } from './script-job.executor';

/** The job types a configuration declares alone (`elasticJobType`). */
export const CONFIGURED_JOB_TYPES: readonly ConfiguredJobType[] = ['SCRIPT', 'HTTP'];

/** The item executor of a job declared by configuration; throws a `JobConfigurationError` on invalid props. */
export function configuredJobExecutor(type: ConfiguredJobType, config: ResolvedJobConfiguration): JobItemExecutor {
  return type === 'SCRIPT' ? scriptJobExecutor(config) : httpJobExecutor(config);
}
