import { parse, stringify } from 'yaml';
import { JobConfigurationError } from '../errors';
import { invalidJobField } from '../elastic-job.messages';
import { JobConfiguration, ResolvedJobConfiguration } from '../interfaces';

/**
 * ElasticJob's `JobConfigurationPOJO` as it is stored in ZooKeeper. Keys are written in alphabetical order and
 * unset values are left out, as ElasticJob's own YAML writer does.
 */
interface JobConfigurationPojo {
  cron?: string;
  description?: string;
  disabled: boolean;
  failover: boolean;
  jobErrorHandlerType?: string;
  jobListenerTypes: string[];
  jobName: string;
  jobParameter?: string;
  jobShardingStrategyType?: string;
  maxTimeDiffSeconds: number;
  misfire: boolean;
  monitorExecution: boolean;
  overwrite: boolean;
  props: Record<string, string>;
  reconcileIntervalMinutes: number;
  shardingItemParameters?: string;
  shardingTotalCount: number;
  staticSharding: boolean;
  timeZone?: string;
}

/** Serializes a configuration as ElasticJob's YAML. Local-only fields (`maxConcurrency`) are not stored. */
export function toConfigurationYaml(config: ResolvedJobConfiguration): string {
  const pojo: JobConfigurationPojo = {
    cron: config.cron,
    description: config.description,
    disabled: config.disabled,
    failover: config.failover,
    jobErrorHandlerType: config.jobErrorHandlerType,
    jobListenerTypes: config.jobListenerTypes,
    jobName: config.name,
    jobParameter: config.jobParameter,
    jobShardingStrategyType: config.jobShardingStrategyType,
    maxTimeDiffSeconds: config.maxTimeDiffSeconds,
    misfire: config.misfire,
    monitorExecution: config.monitorExecution,
    overwrite: config.overwrite,
    props: config.props,
    reconcileIntervalMinutes: config.reconcileIntervalMinutes,
    shardingItemParameters: config.shardingItemParameters,
    shardingTotalCount: config.shardingTotalCount,
    staticSharding: config.staticSharding,
    timeZone: config.timeZone,
  };
  const defined = Object.fromEntries(Object.entries(pojo).filter(([, value]) => value !== undefined && value !== ''));
  return stringify(defined, { lineWidth: 0 });
}

/** Parses ElasticJob's YAML into a (not yet validated) configuration. */
export function fromConfigurationYaml(jobName: string, text: string): JobConfiguration {
  let pojo: Partial<JobConfigurationPojo> & Record<string, unknown>;
  try {
    pojo = parse(text) ?? {};
  } catch (error) {
    throw new JobConfigurationError(
      invalidJobField(jobName, 'config', text, `not valid YAML: ${(error as Error).message}`),
      jobName,
      'config',
    );
  }
  if (typeof pojo !== 'object' || Array.isArray(pojo)) {
    throw new JobConfigurationError(invalidJobField(jobName, 'config', text, 'not a YAML mapping'), jobName, 'config');
  }
  const optionalString = (value: unknown) =>
    value === null || value === undefined || value === '' ? undefined : String(value);
  return {
    name: pojo.jobName ?? jobName,
    cron: optionalString(pojo.cron),
    timeZone: optionalString(pojo.timeZone),
    shardingTotalCount: pojo.shardingTotalCount as number,
    shardingItemParameters: optionalString(pojo.shardingItemParameters),
    jobParameter: optionalString(pojo.jobParameter),
    monitorExecution: pojo.monitorExecution,
    failover: pojo.failover,
    misfire: pojo.misfire,
    maxTimeDiffSeconds: pojo.maxTimeDiffSeconds,
    reconcileIntervalMinutes: pojo.reconcileIntervalMinutes,
    jobShardingStrategyType: optionalString(pojo.jobShardingStrategyType),
    jobErrorHandlerType: optionalString(pojo.jobErrorHandlerType),
    jobListenerTypes: pojo.jobListenerTypes ?? undefined,
    description: optionalString(pojo.description),
    disabled: pojo.disabled,
    overwrite: pojo.overwrite,
    staticSharding: pojo.staticSharding,
    props: (pojo.props as Record<string, string> | null) ?? undefined,
  };
}
