import { JobOperationError } from '../errors';
import { JobConfiguration } from '../interfaces';

const BOOLEAN_FIELDS = new Set(['monitorExecution', 'failover', 'misfire', 'disabled', 'overwrite', 'staticSharding']);
const NUMBER_FIELDS = new Set(['shardingTotalCount', 'maxTimeDiffSeconds', 'reconcileIntervalMinutes']);
const STRING_FIELDS = new Set([
  'cron',
  'timeZone',
  'shardingItemParameters',
  'jobParameter',
  'jobShardingStrategyType',
  'jobErrorHandlerType',
  'description',
]);

/**
 * Applies `field=value` assignments of `config set` to a configuration: booleans and numbers by field, `props.key=value`
 * for properties, `jobListenerTypes=a,b`, and an empty value to unset an optional field. Unknown fields are errors.
 */
export function applyAssignments(jobName: string, config: JobConfiguration, assignments: string[]): JobConfiguration {
  const result: Record<string, unknown> = { ...config, props: { ...(config.props ?? {}) } };
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    const field = at > 0 ? assignment.slice(0, at).trim() : '';
    const value = assignment.slice(at + 1);
    const fail = (reason: string): never => {
      throw new JobOperationError(`Job "${jobName}": "${assignment}": ${reason}`, jobName, field || 'config');
    };
    if (!field) {
      fail('expected field=value');
    }
    if (field.startsWith('props.') && field.length > 'props.'.length) {
      const props = result.props as Record<string, string>;
      if (value === '') {
        delete props[field.slice('props.'.length)];
      } else {
        props[field.slice('props.'.length)] = value;
      }
    } else if (BOOLEAN_FIELDS.has(field)) {
      result[field] = value === 'true' ? true : value === 'false' ? false : fail('must be true or false');
    } else if (NUMBER_FIELDS.has(field)) {
      result[field] = /^-?\d+$/.test(value.trim()) ? Number(value) : fail('must be an integer');
    } else if (STRING_FIELDS.has(field)) {
      result[field] = value === '' ? undefined : value;
    } else if (field === 'jobListenerTypes') {
      result[field] = value.split(',').filter(Boolean);
    } else {
      fail(`unknown field "${field}"`);
    }
  }
  return result as unknown as JobConfiguration;
}
