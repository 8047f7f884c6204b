import type { JobOverride } from '../interfaces';

const INTEGER_FIELDS = ['shardingTotalCount', 'maxTimeDiffSeconds', 'reconcileIntervalMinutes', 'maxConcurrency'];
const BOOLEAN_FIELDS = ['monitorExecution', 'failover', 'misfire', 'disabled', 'overwrite', 'staticSharding'];

/**
 * An entry of the module option `jobs` with the strings of an environment read as what they stand for: `"3"` as 3,
 * `"true"`/`"false"` as flags, `"a,b"` as the list of `jobListenerTypes`. Anything else is left as it is, for the
 * validation to name the field.
 */
export function coerceJobEntry(entry: JobOverride): JobOverride {
  const coerced: Record<string, unknown> = { ...entry };
  for (const field of INTEGER_FIELDS) {
    const value = coerced[field];
    if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) {
      coerced[field] = Number(value);
    }
  }
  for (const field of BOOLEAN_FIELDS) {
    const value = coerced[field];
    if (typeof value === 'string' && /^\s*(true|false)\s*$/i.test(value)) {
      coerced[field] = value.trim().toLowerCase() === 'true';
    }
  }
  const listeners = coerced.jobListenerTypes;
  if (typeof listeners === 'string') {
    coerced.jobListenerTypes = listeners
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean);
  }
  return coerced as JobOverride;
}
