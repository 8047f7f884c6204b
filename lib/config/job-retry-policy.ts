import { JobConfigurationError } from '../errors';
import { invalidJobField } from '../elastic-job.messages';
import { settingsPerProps } from './props-settings';

/** The props of the retry policy (in `props`, so that ElasticJob's tools read the configuration unchanged). */
export const RETRY_PROPS = {
  maxAttempts: 'retry.max.attempts',
  backoff: 'retry.backoff.milliseconds',
  maxBackoff: 'retry.max.backoff.milliseconds',
} as const;

/** Defaults of the backoff: 1 s before the first retry, doubling up to 30 s. */
export const DEFAULT_RETRY_BACKOFF_MS = 1000;
export const DEFAULT_RETRY_MAX_BACKOFF_MS = 30_000;

/** How a failed item run is retried on the same instance. */
export interface RetryPolicy {
  /** Retries after the first run (`retry.max.attempts`): an item runs at most `1 + retries` times per execution. */
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/**
 * The retry policy of a job's props, or `undefined` without retries (`retry.max.attempts` absent or 0). Throws a
 * `JobConfigurationError` naming the job and the prop when a value is not a non-negative integer. Read once per props
 * object (a configuration change brings a new one).
 */
export const retryPolicyOf: (jobName: string, props: Readonly<Record<string, string>>) => RetryPolicy | undefined =
  settingsPerProps(parseRetryPolicy);

function parseRetryPolicy(jobName: string, props: Readonly<Record<string, string>>): RetryPolicy | undefined {
  const read = (prop: string, fallback: number): number => {
    const text = props[prop];
    if (text === undefined || text.trim() === '') {
      return fallback;
    }
    if (!/^\d+$/.test(text.trim())) {
      throw new JobConfigurationError(
        invalidJobField(jobName, `props.${prop}`, text, 'must be an integer >= 0'),
        jobName,
        prop,
      );
    }
    return Number(text.trim());
  };
  const retries = read(RETRY_PROPS.maxAttempts, 0);
  const backoffMs = read(RETRY_PROPS.backoff, DEFAULT_RETRY_BACKOFF_MS);
  const maxBackoffMs = read(RETRY_PROPS.maxBackoff, Math.max(DEFAULT_RETRY_MAX_BACKOFF_MS, backoffMs));
  if (maxBackoffMs < backoffMs) {
    throw new JobConfigurationError(
      invalidJobField(
        jobName,
        `props.${RETRY_PROPS.maxBackoff}`,
        props[RETRY_PROPS.maxBackoff],
        `must be >= ${RETRY_PROPS.backoff} (${backoffMs})`,
      ),
      jobName,
      RETRY_PROPS.maxBackoff,
    );
  }
  return retries > 0 ? { retries, backoffMs, maxBackoffMs } : undefined;
}

/**
 * The wait before retry number `retry` (1 for the first): the backoff doubled per retry, capped at the maximum, plus
 * up to a quarter more at random, so that items failing together do not retry in lockstep. Never below the backoff.
 */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (retry - 1));
  return Math.round(Math.min(policy.maxBackoffMs, base * (1 + 0.25 * random())));
}
