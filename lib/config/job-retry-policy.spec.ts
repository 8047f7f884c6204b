import { JobConfigurationError } from '../errors';
import { coerceJobEntry } from './job-entry.coercion';
import { resolveJobConfiguration } from './job-configuration.validator';
import { retryDelay, retryPolicyOf } from './job-retry-policy';

describe('the retry policy of a job', () => {
  it('is off by default and with retry.max.attempts 0', () => {
    expect(retryPolicyOf('j', {})).toBeUndefined();
    expect(retryPolicyOf('j', { 'retry.max.attempts': '0' })).toBeUndefined();
  });

  it('reads the props, with the defaults of the backoff', () => {
    expect(retryPolicyOf('j', { 'retry.max.attempts': '3' })).toEqual({
      retries: 3,
      backoffMs: 1000,
      maxBackoffMs: 30_000,
    });
    expect(retryPolicyOf('j', { 'retry.max.attempts': '2', 'retry.backoff.milliseconds': '60000' })).toEqual({
      retries: 2,
      backoffMs: 60_000,
      maxBackoffMs: 60_000,
    });
  });

  it('rejects values that are not integers >= 0, and a maximum below the backoff, naming the job and the prop', () => {
    for (const [props, field] of [
      [{ 'retry.max.attempts': 'three' }, 'retry.max.attempts'],
      [{ 'retry.max.attempts': '-1' }, 'retry.max.attempts'],
      [{ 'retry.max.attempts': '1', 'retry.backoff.milliseconds': '1.5' }, 'retry.backoff.milliseconds'],
      [
        { 'retry.max.attempts': '1', 'retry.backoff.milliseconds': '5000', 'retry.max.backoff.milliseconds': '10' },
        'retry.max.backoff.milliseconds',
      ],
    ] as const) {
      expect(() => retryPolicyOf('pay', props)).toThrow(JobConfigurationError);
      expect(() => retryPolicyOf('pay', props)).toThrow(/"pay".*retry\./);
      try {
        retryPolicyOf('pay', props);
      } catch (error) {
        expect(error).toMatchObject({ jobName: 'pay', field });
      }
    }
    expect(() =>
      resolveJobConfiguration({ name: 'pay', shardingTotalCount: 1, props: { 'retry.max.attempts': 'x' } }),
    ).toThrow(/retry\.max\.attempts/);
  });

  it('doubles the wait per retry up to the maximum, adding at most a quarter at random, never less', () => {
    const policy = { retries: 5, backoffMs: 100, maxBackoffMs: 1000 };
    expect([1, 2, 3, 4, 5].map((retry) => retryDelay(policy, retry, () => 0))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3, 4, 5].map((retry) => retryDelay(policy, retry, () => 1))).toEqual([125, 250, 500, 1000, 1000]);
  });
});

describe('an entry of the module option jobs from the environment', () => {
  it('reads numbers, flags and lists from strings, and leaves anything else for the validation', () => {
    expect(
      coerceJobEntry({
        shardingTotalCount: '4' as never,
        failover: 'TRUE' as never,
        misfire: 'false' as never,
        jobListenerTypes: 'audit, metrics' as never,
        maxConcurrency: 'many' as never,
      }),
    ).toEqual({
      shardingTotalCount: 4,
      failover: true,
      misfire: false,
      jobListenerTypes: ['audit', 'metrics'],
      maxConcurrency: 'many',
    });
    expect(() =>
      resolveJobConfiguration({ name: 'j', ...coerceJobEntry({ shardingTotalCount: 'four' as never }) } as never),
    ).toThrow(/"j".*shardingTotalCount/);
  });
});
