import { registryUnreachable } from '../elastic-job.messages';
import { RegistryCenterOptions } from '../interfaces';
import { sleep } from '../utils';
import { hasCode, RegistryCenterError, RETRYABLE_CODES } from './registry-center.error';
import type { ZookeeperSession } from './zookeeper-session';

/** ElasticJob's `ZookeeperConfiguration` defaults. */
export const REGISTRY_CENTER_DEFAULTS = {
  sessionTimeoutMilliseconds: 60_000,
  connectionTimeoutMilliseconds: 15_000,
  baseSleepTimeMilliseconds: 1_000,
  maxSleepTimeMilliseconds: 3_000,
  maxRetries: 3,
} as const;

export type ResolvedOptions = Required<Omit<RegistryCenterOptions, 'digest'>> & Pick<RegistryCenterOptions, 'digest'>;

export const isRetryable = (error: unknown) => error instanceof RegistryCenterError && RETRYABLE_CODES.has(error.code);

/** The wait before retry `attempt + 1`: `base x 2^attempt`, at most `max`; `jitter` takes up to half of it off. */
export function backoff(options: ResolvedOptions, attempt: number, jitter = true): number {
  const { baseSleepTimeMilliseconds, maxSleepTimeMilliseconds } = options;
  const share = jitter ? 0.5 + Math.random() / 2 : 1;
  return Math.min(maxSleepTimeMilliseconds, baseSleepTimeMilliseconds * 2 ** attempt) * share;
}

/**
 * Runs `attempt` (one try at the first session, within the time it is given) until it succeeds, under the start-up
 * limit and the retries that `ZookeeperRegistryCenter.connect` describes; fails with the reason the start failed.
 */
export async function connectWithinLimit(
  options: ResolvedOptions,
  namespace: string,
  attempt: (timeoutMs: number) => Promise<void>,
  isClosed: () => boolean,
): Promise<void> {
  const { maxRetries, maxSleepTimeMilliseconds, connectionTimeoutMilliseconds, serverLists } = options;
  const startedAt = Date.now();
  const limit = maxRetries > 0 ? maxSleepTimeMilliseconds * maxRetries : connectionTimeoutMilliseconds;
  const deadline = startedAt + limit;
  const limitText = `the start-up limit of ${limit} ms (registryCenter.maxSleepTimeMilliseconds x maxRetries)`;
  for (let tried = 0; ; tried++) {
    // An attempt takes connectionTimeoutMilliseconds, or what is left before the limit when that is less.
    const timeout =
      maxRetries > 0
        ? Math.max(1, Math.min(connectionTimeoutMilliseconds, deadline - Date.now()))
        : connectionTimeoutMilliseconds;
    try {
      await attempt(timeout);
      return;
    } catch (error) {
      const code = (error as RegistryCenterError).code ?? 'CONNECT_TIMEOUT';
      const wait = backoff(options, tried, false);
      const roomLeft = Date.now() + wait < deadline;
      if (code === 'AUTH_FAILED' || isClosed() || tried >= maxRetries || !roomLeft) {
        let cause = (error as Error).message;
        if (code === 'AUTH_FAILED') {
          cause = 'authentication failed: check registryCenter.digest';
        } else if (hasCode(error, 'CONNECT_TIMEOUT')) {
          cause =
            timeout < connectionTimeoutMilliseconds
              ? `no session within ${limitText}`
              : `no session within ${timeout} ms (registryCenter.connectionTimeoutMilliseconds)`;
        }
        if (code !== 'AUTH_FAILED' && tried < maxRetries && !roomLeft && !cause.includes(limitText)) {
          cause += `; the next retry, ${wait} ms later, would come at or after ${limitText}`;
        }
        throw new RegistryCenterError(
          registryUnreachable(serverLists, namespace, tried + 1, Date.now() - startedAt, cause),
          code,
        );
      }
      await sleep(wait);
    }
  }
}

/** Where the retried operations run: the session kept current (`SessionKeeper`). */
export interface SessionSource {
  readonly session?: ZookeeperSession;
  withSession<T>(operation: (session: ZookeeperSession) => Promise<T>): Promise<T>;
}

/** Runs operations in the kept session, retrying connection-level failures with back-off (`maxRetries` times). */
export class RetryPolicy {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly keeper: SessionSource,
    private readonly isClosed: () => boolean,
  ) {}

  /** Runs `operation` on the current session, retrying connection-level failures with back-off. */
  async retry<T>(operation: (session: ZookeeperSession) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.keeper.withSession(operation);
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.options.maxRetries || this.isClosed()) {
          throw error;
        }
        await sleep(backoff(this.options, attempt));
      }
    }
  }

  /**
   * Like `retry`, but only in the session `sessionId`: if it has ended, fails with `SESSION_CHANGED` rather than run
   * `operation` in a new session (where a write meant for the old one would be wrong).
   */
  async retryInSession<T>(sessionId: string, operation: (session: ZookeeperSession) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const session = this.keeper.session;
      if (this.isClosed() || !session || session.isEnded || session.sessionId !== sessionId) {
        throw new RegistryCenterError(`ZooKeeper session ${sessionId} is over`, 'SESSION_CHANGED');
      }
      try {
        return await operation(session);
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.options.maxRetries) {
          throw error;
        }
        await sleep(backoff(this.options, attempt));
      }
    }
  }
}
