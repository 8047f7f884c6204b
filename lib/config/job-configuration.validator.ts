import { JobConfigurationError } from '../errors';
import { invalidJobField, missingJobField } from '../elastic-job.messages';
import { JobConfiguration, ResolvedJobConfiguration } from '../interfaces';
import { compileCron, CronSyntaxError, normalizeTimeZone, unixToQuartz } from '../cron';
import {
  BUILT_IN_ERROR_HANDLER_TYPES,
  BUILT_IN_SHARDING_STRATEGY_TYPES,
  JOB_CONFIGURATION_DEFAULTS,
} from './job-configuration.defaults';
import { parseShardingItemParameters } from './sharding-item-parameters.parser';
import { retryPolicyOf } from './job-retry-policy';
import { stripUndefined } from '../utils';

/** Types registered beyond the built-in ones. */
export interface KnownTypes {
  shardingStrategyTypes?: Iterable<string>;
  errorHandlerTypes?: Iterable<string>;
}

const BOOLEAN_FIELDS = ['monitorExecution', 'failover', 'misfire', 'disabled', 'overwrite', 'staticSharding'] as const;
const OPTIONAL_STRING_FIELDS = ['cron', 'timeZone', 'shardingItemParameters', 'jobParameter', 'description'] as const;

/** Applies ElasticJob's defaults and checks every field; throws a `JobConfigurationError` naming job and field. */
export function resolveJobConfiguration(config: JobConfiguration, known: KnownTypes = {}): ResolvedJobConfiguration {
  const name = config?.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new JobConfigurationError(missingJobField(String(name ?? ''), 'name'), String(name ?? ''), 'name');
  }
  const fail = (field: string, value: unknown, reason: string): never => {
    throw new JobConfigurationError(invalidJobField(name, field, value, reason), name, field);
  };
  if (/[/\s]/.test(name)) {
    fail('name', name, 'must not contain "/" or white space (it is a ZooKeeper node name)');
  }
  const resolved = { ...JOB_CONFIGURATION_DEFAULTS, jobListenerTypes: [], props: {}, ...stripUndefined(config) };
  for (const field of BOOLEAN_FIELDS) {
    if (typeof resolved[field] !== 'boolean') {
      fail(field, resolved[field], 'must be true or false');
    }
  }
  for (const field of OPTIONAL_STRING_FIELDS) {
    if (resolved[field] !== undefined && typeof resolved[field] !== 'string') {
      fail(field, resolved[field], 'must be a string');
    }
  }
  const { shardingTotalCount } = resolved;
  if (shardingTotalCount === undefined || shardingTotalCount === null) {
    throw new JobConfigurationError(missingJobField(name, 'shardingTotalCount'), name, 'shardingTotalCount');
  }
  if (!Number.isInteger(shardingTotalCount) || shardingTotalCount < 1) {
    fail('shardingTotalCount', shardingTotalCount, 'must be an integer >= 1');
  }
  let zone: string | undefined;
  if (resolved.timeZone !== undefined) {
    zone =
      normalizeTimeZone(resolved.timeZone) ??
      fail(
        'timeZone',
        resolved.timeZone,
        'unknown time zone (use an IANA name such as "Asia/Shanghai" or an offset such as "GMT+08:00")',
      );
  }
  if (resolved.cron !== undefined) {
    if (resolved.cron.trim() === '') {
      fail('cron', resolved.cron, 'is empty (leave cron out for a one-off job)');
    }
    try {
      compileCron(resolved.cron, zone);
      if (resolved.cron.trim().split(/\s+/).length === 5) {
        // A Unix expression is a convenience: it is stored in Quartz's form, which ElasticJob reads.
        resolved.cron = unixToQuartz(resolved.cron);
      }
    } catch (error) {
      fail('cron', resolved.cron, error instanceof CronSyntaxError ? error.message : String(error));
    }
  }
  parseShardingItemParameters(name, resolved.shardingItemParameters, shardingTotalCount);
  for (const field of ['maxTimeDiffSeconds', 'reconcileIntervalMinutes'] as const) {
    if (!Number.isInteger(resolved[field])) {
      fail(field, resolved[field], 'must be an integer');
    }
  }
  if (
    resolved.maxConcurrency !== undefined &&
    (!Number.isInteger(resolved.maxConcurrency) || resolved.maxConcurrency < 1)
  ) {
    fail('maxConcurrency', resolved.maxConcurrency, 'must be an integer >= 1');
  }
  checkType(resolved.jobShardingStrategyType, BUILT_IN_SHARDING_STRATEGY_TYPES, known.shardingStrategyTypes, (reason) =>
    fail('jobShardingStrategyType', resolved.jobShardingStrategyType, reason),
  );
  checkType(resolved.jobErrorHandlerType, BUILT_IN_ERROR_HANDLER_TYPES, known.errorHandlerTypes, (reason) =>
    fail('jobErrorHandlerType', resolved.jobErrorHandlerType, reason),
  );
  if (!Array.isArray(resolved.jobListenerTypes) || resolved.jobListenerTypes.some((t) => typeof t !== 'string')) {
    fail('jobListenerTypes', resolved.jobListenerTypes, 'must be an array of strings');
  }
  if (typeof resolved.props !== 'object' || resolved.props === null || Array.isArray(resolved.props)) {
    fail('props', resolved.props, 'must be an object of string values');
  }
  resolved.props = Object.fromEntries(Object.entries(resolved.props).map(([key, value]) => [key, String(value)]));
  retryPolicyOf(name, resolved.props);
  return resolved as ResolvedJobConfiguration;
}

function checkType(
  value: unknown,
  builtIn: readonly string[],
  custom: Iterable<string> | undefined,
  fail: (reason: string) => never,
) {
  // `custom` may hold the built-in types too (the module passes every type it knows): each is listed once.
  const allowed = [...new Set([...builtIn, ...(custom ?? [])])];
  if (typeof value !== 'string' || !allowed.includes(value)) {
    fail(`unknown type; expected one of ${allowed.join(', ')}`);
  }
}
