import { isDeepStrictEqual } from 'node:util';
import { isMap, parse, parseDocument, stringify } from 'yaml';
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

/** Java class tags that ElasticJob writes (`!!org.apache...`) are read as plain values, without a warning. */
const QUIET = { logLevel: 'error' } as const;

/** The stored fields of a configuration, unset ones left out. */
function pojoOf(config: ResolvedJobConfiguration): Partial<JobConfigurationPojo> {
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
  return Object.fromEntries(Object.entries(pojo).filter(([, value]) => value !== undefined && value !== ''));
}

/** Serializes a configuration as ElasticJob's YAML. Local-only fields (`maxConcurrency`) are not stored. */
export function toConfigurationYaml(config: ResolvedJobConfiguration): string {
  return stringify(pojoOf(config), { lineWidth: 0 });
}

/**
 * The stored YAML with `next` written over it: only the fields whose value changed from `previous` (the stored
 * configuration as this module read it) are written, so that fields this module does not manage
 * (`jobExecutorServiceHandlerType`, `label`, `jobExtraConfigurations`, ...) and fields left unset stay as they were.
 * With nothing stored, or nothing readable, the whole of `next`.
 */
export function updateConfigurationYaml(
  stored: string | null,
  next: ResolvedJobConfiguration,
  previous: ResolvedJobConfiguration | undefined,
): string {
  const document = stored?.trim() ? parseDocument(stored, QUIET) : undefined;
  if (!document || document.errors.length > 0 || !isMap(document.contents)) {
    return toConfigurationYaml(next);
  }
  const after = pojoOf(next);
  const before: Partial<JobConfigurationPojo> = previous ? pojoOf(previous) : {};
  for (const key of new Set([...Object.keys(after), ...Object.keys(before)]) as Set<keyof JobConfigurationPojo>) {
    if (previous && isDeepStrictEqual(after[key], before[key])) {
      continue;
    }
    if (after[key] === undefined) {
      document.delete(key);
    } else {
      document.set(key, after[key]);
    }
  }
  // (Sequences at the key's indentation, as ElasticJob's YAML writer puts them.)
  return document.toString({ lineWidth: 0, indentSeq: false });
}

/** The fields of a stored configuration that this module does not manage (ElasticJob's others, and any more). */
export function unmanagedFields(stored: string | null): Record<string, unknown> {
  let pojo: unknown;
  try {
    pojo = stored ? parse(stored, QUIET) : undefined;
  } catch {
    return {};
  }
  if (!pojo || typeof pojo !== 'object' || Array.isArray(pojo)) {
    return {};
  }
  return Object.fromEntries(Object.entries(pojo).filter(([key]) => !MANAGED_FIELDS.has(key)));
}

const MANAGED_FIELDS = new Set<string>([
  'cron',
  'description',
  'disabled',
  'failover',
  'jobErrorHandlerType',
  'jobListenerTypes',
  'jobName',
  'jobParameter',
  'jobShardingStrategyType',
  'maxTimeDiffSeconds',
  'misfire',
  'monitorExecution',
  'overwrite',
  'props',
  'reconcileIntervalMinutes',
  'shardingItemParameters',
  'shardingTotalCount',
  'staticSharding',
  'timeZone',
]);

/** Parses ElasticJob's YAML into a (not yet validated) configuration. */
export function fromConfigurationYaml(jobName: string, text: string): JobConfiguration {
  let pojo: Partial<JobConfigurationPojo> & Record<string, unknown>;
  try {
    pojo = parse(text, QUIET) ?? {};
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
