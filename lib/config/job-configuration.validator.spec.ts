import { JobConfigurationError } from '../errors';
import { JobConfiguration } from '../interfaces';
import { KnownTypes, resolveJobConfiguration } from './job-configuration.validator';

const JOB = 'orderJob';
const valid: JobConfiguration = { name: JOB, cron: '0/5 * * * * ?', shardingTotalCount: 3 };

/** Resolves `config` and returns the `JobConfigurationError` it must throw. */
function configurationError(config: unknown, known?: KnownTypes): JobConfigurationError {
  try {
    resolveJobConfiguration(config as JobConfiguration, known);
  } catch (error) {
    expect(error).toBeInstanceOf(JobConfigurationError);
    return error as JobConfigurationError;
  }
  throw new Error(`expected a JobConfigurationError for ${JSON.stringify(config)}`);
}

function expectInvalid(overrides: Record<string, unknown>, field: string, known?: KnownTypes) {
  const error = configurationError({ ...valid, ...overrides }, known);
  expect(error.jobName).toBe(JOB);
  expect(error.field).toBe(field);
  expect(error.message).toContain(`Job "${JOB}": invalid "${field}"`);
}

describe('resolveJobConfiguration', () => {
  describe('defaults', () => {
    it('applies ElasticJob defaults to every optional field', () => {
      expect(resolveJobConfiguration({ name: JOB, shardingTotalCount: 2 })).toStrictEqual({
        name: JOB,
        shardingTotalCount: 2,
        monitorExecution: true,
        failover: false,
        misfire: true,
        maxTimeDiffSeconds: -1,
        reconcileIntervalMinutes: 10,
        jobShardingStrategyType: 'AVG_ALLOCATION',
        jobErrorHandlerType: 'LOG',
        disabled: false,
        overwrite: false,
        staticSharding: false,
        jobListenerTypes: [],
        props: {},
      });
    });

    it('keeps given values and treats undefined ones as absent', () => {
      const resolved = resolveJobConfiguration({
        ...valid,
        failover: true,
        monitorExecution: false,
        misfire: undefined,
        reconcileIntervalMinutes: 0,
        jobErrorHandlerType: 'THROW',
        jobListenerTypes: ['audit'],
        props: { 'http.uri': 'http://localhost' },
      });
      expect(resolved).toMatchObject({
        cron: '0/5 * * * * ?',
        failover: true,
        monitorExecution: false,
        misfire: true,
        reconcileIntervalMinutes: 0,
        jobErrorHandlerType: 'THROW',
        jobListenerTypes: ['audit'],
        props: { 'http.uri': 'http://localhost' },
      });
    });

    it('gives each resolved configuration its own default collections', () => {
      const first = resolveJobConfiguration({ name: 'a', shardingTotalCount: 1 });
      const second = resolveJobConfiguration({ name: 'b', shardingTotalCount: 1 });
      first.jobListenerTypes.push('x');
      first.props.x = 'y';
      expect(second.jobListenerTypes).toEqual([]);
      expect(second.props).toEqual({});
    });
  });

  describe('required fields', () => {
    it.each([
      ['undefined', undefined],
      ['empty', ''],
      ['blank', '   '],
    ])('rejects a %s name', (_label, name) => {
      const error = configurationError({ name, shardingTotalCount: 1 });
      expect(error.field).toBe('name');
      expect(error.jobName).toBe(name ?? '');
      expect(error.message).toContain('"name" is required');
    });

    it.each(['a/b', 'a b'])('rejects the name %j, which is no ZooKeeper node name', (name) => {
      const error = configurationError({ ...valid, name });
      expect(error.jobName).toBe(name);
      expect(error.field).toBe('name');
      expect(error.message).toContain(`Job ${JSON.stringify(name)}: invalid "name"`);
    });

    it('rejects a missing configuration object', () => {
      expect(configurationError(undefined).field).toBe('name');
    });

    it('rejects a missing shardingTotalCount', () => {
      const error = configurationError({ name: JOB, cron: '0/5 * * * * ?' });
      expect(error.jobName).toBe(JOB);
      expect(error.field).toBe('shardingTotalCount');
      expect(error.message).toContain(`Job "${JOB}": "shardingTotalCount" is required`);
    });
  });

  describe('invalid fields', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['an empty cron', { cron: '' }, 'cron'],
      ['a blank cron', { cron: '   ' }, 'cron'],
      ['a day-of-week with a trailing garbage', { cron: '0/5 * * * * ?x' }, 'cron'],
      ['a second out of range', { cron: '61 * * * * ?' }, 'cron'],
      ['a cron with three fields', { cron: 'a b c' }, 'cron'],
      ['a Quartz day-of-week 0', { cron: '0 0 12 ? * 0' }, 'cron'],
      ['both day fields given', { cron: '0 0 12 15 * MON' }, 'cron'],
      ['a non-string cron', { cron: 5 }, 'cron'],
      ['an unknown time zone', { timeZone: 'Mars/Base' }, 'timeZone'],
      ['an out of range offset', { timeZone: 'GMT+19:00' }, 'timeZone'],
      ['shardingTotalCount 0', { shardingTotalCount: 0 }, 'shardingTotalCount'],
      ['shardingTotalCount -1', { shardingTotalCount: -1 }, 'shardingTotalCount'],
      ['shardingTotalCount 1.5', { shardingTotalCount: 1.5 }, 'shardingTotalCount'],
      ['a string shardingTotalCount', { shardingTotalCount: '3' }, 'shardingTotalCount'],
      ['a non-integer item', { shardingItemParameters: '0=a,x=b' }, 'shardingItemParameters'],
      ['an item given twice', { shardingItemParameters: '0=a,0=b' }, 'shardingItemParameters'],
      ['an item out of range', { shardingItemParameters: '5=a' }, 'shardingItemParameters'],
      ['a pair without "="', { shardingItemParameters: 'a' }, 'shardingItemParameters'],
      ['an unknown sharding strategy', { jobShardingStrategyType: 'NOPE' }, 'jobShardingStrategyType'],
      ['an unknown error handler', { jobErrorHandlerType: 'NOPE' }, 'jobErrorHandlerType'],
      ['maxConcurrency 0', { maxConcurrency: 0 }, 'maxConcurrency'],
      ['a fractional maxConcurrency', { maxConcurrency: 2.5 }, 'maxConcurrency'],
      ['a non-boolean failover', { failover: 'yes' }, 'failover'],
      ['a null disabled', { disabled: null }, 'disabled'],
      ['a fractional maxTimeDiffSeconds', { maxTimeDiffSeconds: 0.5 }, 'maxTimeDiffSeconds'],
      ['non-string listener types', { jobListenerTypes: [1] }, 'jobListenerTypes'],
      ['array props', { props: ['a'] }, 'props'],
    ])('rejects %s', (_label, overrides, field) => {
      expectInvalid(overrides, field);
    });

    it('quotes the rejected value and gives a reason', () => {
      const error = configurationError({ ...valid, shardingTotalCount: 1.5 });
      expect(error.message).toBe(`Job "${JOB}": invalid "shardingTotalCount" 1.5: must be an integer >= 1`);
    });

    it('lists the allowed types for an unknown error handler', () => {
      const error = configurationError({ ...valid, jobErrorHandlerType: 'NOPE' });
      expect(error.message).toBe(
        `Job "${JOB}": invalid "jobErrorHandlerType" "NOPE": unknown type; expected one of LOG, THROW, IGNORE, DINGTALK, WECHAT, SLACK, WEBHOOK, EMAIL`,
      );
    });

    it('lists each allowed type once when the known types include the built-in ones, as the module passes them', () => {
      const known: KnownTypes = {
        errorHandlerTypes: ['LOG', 'THROW', 'IGNORE', 'AUDIT'],
        shardingStrategyTypes: ['AVG_ALLOCATION', 'ODEVITY', 'ROUND_ROBIN', 'BY_REGION'],
      };
      expect(configurationError({ ...valid, jobErrorHandlerType: 'NOPE' }, known).message).toBe(
        `Job "${JOB}": invalid "jobErrorHandlerType" "NOPE": unknown type; ` +
          'expected one of LOG, THROW, IGNORE, DINGTALK, WECHAT, SLACK, WEBHOOK, EMAIL, AUDIT',
      );
      expect(configurationError({ ...valid, jobShardingStrategyType: 'NOPE' }, known).message).toBe(
        `Job "${JOB}": invalid "jobShardingStrategyType" "NOPE": unknown type; ` +
          'expected one of AVG_ALLOCATION, ODEVITY, ROUND_ROBIN, BY_REGION',
      );
    });
  });

  describe('custom types', () => {
    it('accepts an error handler type passed in known.errorHandlerTypes', () => {
      const resolved = resolveJobConfiguration(
        { ...valid, jobErrorHandlerType: 'NOPE' },
        { errorHandlerTypes: new Set(['NOPE']) },
      );
      expect(resolved.jobErrorHandlerType).toBe('NOPE');
    });

    it('accepts a sharding strategy type passed in known.shardingStrategyTypes', () => {
      const resolved = resolveJobConfiguration(
        { ...valid, jobShardingStrategyType: 'CUSTOM' },
        { shardingStrategyTypes: ['CUSTOM'] },
      );
      expect(resolved.jobShardingStrategyType).toBe('CUSTOM');
    });

    it('does not accept a custom error handler type as a sharding strategy', () => {
      expectInvalid({ jobShardingStrategyType: 'NOPE' }, 'jobShardingStrategyType', { errorHandlerTypes: ['NOPE'] });
    });
  });

  describe('valid inputs', () => {
    it('stores a 5-field Unix cron in Quartz form (what ElasticJob reads), with the same fires', () => {
      expect(resolveJobConfiguration({ ...valid, cron: '*/5 * * * *' }).cron).toBe('0 */5 * * * ?');
      expect(resolveJobConfiguration({ ...valid, cron: '30 9 * * 1-5' }).cron).toBe('0 30 9 ? * MON,TUE,WED,THU,FRI');
      expect(resolveJobConfiguration({ ...valid, cron: '0 0 1 * *' }).cron).toBe('0 0 0 1 * ?');
      expect(resolveJobConfiguration({ ...valid, cron: '0 0 * * 0,7' }).cron).toBe('0 0 0 ? * SUN');
    });

    it.each<[string, Partial<JobConfiguration>]>([
      ['a 7-field Quartz cron with a year', { cron: '0 0 12 * * ? 2030' }],
      ['a Quartz day-of-week by name', { cron: '0 0 12 ? * WED' }],
      ['no cron (one-off job)', { cron: undefined }],
      ['a fixed offset time zone', { timeZone: 'GMT+08:00' }],
      ['an IANA time zone', { timeZone: 'Asia/Shanghai' }],
      ['sharding item parameters', { shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou' }],
      ['a custom maxConcurrency', { maxConcurrency: 1 }],
    ])('accepts %s', (_label, overrides) => {
      const config = { ...valid, ...overrides };
      const resolved = resolveJobConfiguration(config);
      expect(resolved).toMatchObject(Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)));
    });

    it('keeps the time zone as written', () => {
      expect(resolveJobConfiguration({ ...valid, timeZone: 'GMT+08:00' }).timeZone).toBe('GMT+08:00');
    });

    it('turns prop values into strings', () => {
      const props = { retries: 3 } as unknown as Record<string, string>;
      expect(resolveJobConfiguration({ ...valid, props }).props).toStrictEqual({ retries: '3' });
    });
  });
});
