import { Logger } from '@nestjs/common';
import { sleep } from '../utils';
import type { ConnectionStateEvent } from './registry-center.interface';
import { RegistryCenterError } from './registry-center.error';
import { backoff, ResolvedOptions } from './retry-policy';
import { probeServers } from './server-probe';
import { SessionEnd, ZookeeperSession } from './zookeeper-session';

/** What the keeper asks of the registry center around a session's life. */
export interface SessionKeeperHost {
  isClosed(): boolean;
  /** Looks at the lease again: the connection was lost, or the session ended. */
  checkLease(): void;
  /** Renews the lease: the connection is back. */
  heartbeat(): void;
  emitState(event: ConnectionStateEvent): void;
  /** Restores in the session just opened what lived in the expired one: ephemeral nodes, caches. */
  restore(): Promise<void>;
}

/**
 * The registry center's one session at a time: opens it, reports its connection states, and when it expires (or is
 * given up) opens a new one, retrying for ever with back-off, and has what lived in the old one restored.
 */
export class SessionKeeper {
  /** The current session; undefined before the first one and after `close`. */
  session?: ZookeeperSession;
  private renewing?: Promise<void>;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly logger: Logger,
    private readonly host: SessionKeeperHost,
  ) {}

  get sessionId(): string {
    return this.session?.sessionId ?? '';
  }

  /** The session timeout the server granted (the one asked for until connected). */
  get sessionTimeout(): number {
    return this.session?.negotiatedTimeout ?? this.options.sessionTimeoutMilliseconds;
  }

  /**
   * One attempt at the first session, within `timeoutMs`. A plain TCP connection to each server runs beside it: when
   * every server refuses it (nothing listens there) or has a name that does not resolve, the attempt ends at
   * once with `CONNECTION_REFUSED`.
   */
  async attempt(timeoutMs: number): Promise<void> {
    const attempt = new AbortController();
    void probeServers(this.options.serverLists, attempt.signal).then((refusals) => {
      if (refusals) {
        const why = `no server accepts connections (${refusals.join(', ')})`;
        attempt.abort(new RegistryCenterError(why, 'CONNECTION_REFUSED'));
      }
    });
    try {
      await this.open(timeoutMs, attempt.signal);
    } finally {
      attempt.abort();
    }
  }

  /** Ends the current session, for good (the registry center is closed). */
  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  /**
   * Gives up a session that has been disconnected, without an answer, for a whole session timeout: the server has
   * expired it by now (or will as soon as it is back), or never knew it (a server restarted empty refuses a client
   * that has seen later transactions than its own, and the client would retry for ever). A new session starts; the
   * instance cleans up after the old one itself (see `ExecutionService.releaseForeign`).
   */
  abandon(session: ZookeeperSession): void {
    if (this.host.isClosed() || session !== this.session) {
      return;
    }
    this.logger.error(
      `ZooKeeper session ${session.sessionId} got no answer for ${this.sessionTimeout} ms; opening a new session`,
    );
    session.close();
    this.host.checkLease();
    this.host.emitState({ state: 'LOST', newSession: false, sessionId: '' });
    this.renew();
  }

  /** Runs `operation` on the current session, waiting for one (up to the connection timeout) when there is none. */
  async withSession<T>(operation: (session: ZookeeperSession) => Promise<T>): Promise<T> {
    if (this.host.isClosed()) {
      throw new RegistryCenterError('registry center is closed', 'CLOSED');
    }
    const session = this.session;
    if (!session || session.isEnded) {
      await this.waitForSession();
      return operation(this.session!);
    }
    return operation(session);
  }

  private async waitForSession(): Promise<void> {
    const deadline = Date.now() + this.options.connectionTimeoutMilliseconds;
    while (!this.session || this.session.isEnded) {
      if (this.host.isClosed() || Date.now() > deadline) {
        throw new RegistryCenterError('no ZooKeeper session', 'NOT_CONNECTED');
      }
      await sleep(20);
    }
  }

  /** Opens a session within `timeoutMs`; aborting `signal` gives the attempt up (with the signal's reason). */
  private async open(timeoutMs = this.options.connectionTimeoutMilliseconds, signal?: AbortSignal): Promise<void> {
    const { serverLists, sessionTimeoutMilliseconds, digest } = this.options;
    const session = new ZookeeperSession(serverLists, sessionTimeoutMilliseconds, digest);
    const abort = () => session.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await session.open(timeoutMs);
    } catch (error) {
      session.close();
      throw signal?.aborted ? signal.reason : error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    if (this.host.isClosed()) {
      session.close();
      throw new RegistryCenterError('registry center closed', 'CLOSED');
    }
    this.session = session;
    this.follow(session);
  }

  /** Reports the connection states of `session` while it is the current one, and renews it when it expires. */
  private follow(session: ZookeeperSession): void {
    session.on('disconnected', () => {
      if (session === this.session) {
        this.host.checkLease();
        this.logger.warn(`ZooKeeper connection lost (session ${session.sessionId}); reconnecting`);
        this.host.emitState({ state: 'SUSPENDED', newSession: false, sessionId: session.sessionId });
      }
    });
    session.on('connected', () => {
      if (session === this.session) {
        this.host.heartbeat();
        this.logger.log(`ZooKeeper connection restored (session ${session.sessionId})`);
        this.host.emitState({ state: 'RECONNECTED', newSession: false, sessionId: session.sessionId });
      }
    });
    session.on('ended', (why: SessionEnd) => {
      if (session === this.session) {
        this.host.checkLease();
      }
      if (session === this.session && !this.host.isClosed() && why !== 'CLOSED') {
        this.logger.error(
          `ZooKeeper session ${why === 'EXPIRED' ? 'expired' : 'ended: ' + why}; opening a new session`,
        );
        this.host.emitState({ state: 'LOST', newSession: false, sessionId: '' });
        this.renew();
      }
    });
  }

  /** Opens a fresh session after an expiry, then has ephemerals and caches restored. Retries until it succeeds. */
  private renew(): void {
    if (this.renewing) {
      return;
    }
    this.renewing = (async () => {
      for (let attempt = 0; !this.host.isClosed(); attempt++) {
        try {
          await this.open();
          await this.host.restore();
          this.logger.log(`ZooKeeper session renewed (session ${this.sessionId})`);
          this.host.emitState({ state: 'RECONNECTED', newSession: true, sessionId: this.sessionId });
          return;
        } catch (error) {
          this.logger.warn(`ZooKeeper session renewal failed: ${(error as Error).message}; retrying`);
          await sleep(backoff(this.options, attempt));
        }
      }
    })().finally(() => (this.renewing = undefined));
  }
}
