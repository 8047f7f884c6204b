import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { LOGGER_CONTEXT } from '../elastic-job.constants';
import { registryUnreachable } from '../elastic-job.messages';
import { RegistryCenterOptions } from '../interfaces';
import {
  ConnectionStateEvent,
  CreateMode,
  NodeData,
  NodeStat,
  RegistryCenter,
  RegistryCenterStats,
  TreeCache,
  CreateOutcome,
} from './registry-center.interface';
import { hasCode, ignoring, RegistryCenterError, RETRYABLE_CODES } from './registry-center.error';
import { SessionEnd, ZookeeperSession } from './zookeeper-session';
import { CacheReader, ZookeeperTreeCache } from './zookeeper-tree-cache';
import { probeServers } from './server-probe';
import { sleep, stripUndefined } from '../utils';

/** ElasticJob's `ZookeeperConfiguration` defaults. */
export const REGISTRY_CENTER_DEFAULTS = {
  sessionTimeoutMilliseconds: 60_000,
  connectionTimeoutMilliseconds: 15_000,
  baseSleepTimeMilliseconds: 1_000,
  maxSleepTimeMilliseconds: 3_000,
  maxRetries: 3,
} as const;

/**
 * The share of the session timeout an instance may go without an answer from ZooKeeper before it gives up its lease:
 * it then starts no item and aborts the running ones. The server cannot expire the session before a full timeout
 * after the last answered request was sent, so the other half is the margin in which the items stop before anyone
 * else may take them.
 */
export const LEASE_FRACTION = 0.5;
// A heartbeat is sent when nothing was answered for this share of the session timeout.
const HEARTBEAT_FRACTION = 0.2;

type ResolvedOptions = Required<Omit<RegistryCenterOptions, 'digest'>> & Pick<RegistryCenterOptions, 'digest'>;

/**
 * The registry center over ZooKeeper. It owns one session at a time; when a session expires it opens a new one
 * (retrying for ever with back-off), re-creates this process's ephemeral nodes and reloads every cache, so an
 * instance never stays down because of an expiry.
 */
export class ZookeeperRegistryCenter extends RegistryCenter {
  readonly namespace: string;
  readonly stats: RegistryCenterStats = { reads: 0, writes: 0 };
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly options: ResolvedOptions;
  private readonly events = new EventEmitter();
  private readonly ephemerals = new Map<string, string>();
  private readonly caches = new Set<ZookeeperTreeCache>();
  private session?: ZookeeperSession;
  private closed = false;
  private renewing?: Promise<void>;
  private leaseHeld = false;
  private leaseTimer?: NodeJS.Timeout;
  private heartbeating = false;

  constructor(options: RegistryCenterOptions) {
    super();
    this.options = { ...REGISTRY_CENTER_DEFAULTS, ...stripUndefined(options) } as ResolvedOptions;
    this.namespace = options.namespace.replace(/^\/+|\/+$/g, '');
    this.events.setMaxListeners(0);
  }

  /**
   * Opens the first session, or fails the start: at the latest at the start-up limit, `maxSleepTimeMilliseconds x
   * maxRetries` after the call (ElasticJob's bound; with `maxRetries` 0, the one attempt's
   * `connectionTimeoutMilliseconds`); sooner once `maxRetries` retries have failed, or when the next retry would not
   * start before the limit; at once when the authentication fails. One attempt lasts `connectionTimeoutMilliseconds`
   * at most (less when the limit comes first), and ends at once when every server refuses the connection. Retry n
   * (from 0) comes `baseSleepTimeMilliseconds x 2^n` (at most `maxSleepTimeMilliseconds`) after the failed attempt.
   */
  async connect(): Promise<void> {
    const { maxRetries, maxSleepTimeMilliseconds, connectionTimeoutMilliseconds, serverLists } = this.options;
    const startedAt = Date.now();
    const limit = maxRetries > 0 ? maxSleepTimeMilliseconds * maxRetries : connectionTimeoutMilliseconds;
    const deadline = startedAt + limit;
    const limitText = `the start-up limit of ${limit} ms (registryCenter.maxSleepTimeMilliseconds x maxRetries)`;
    for (let attempt = 0; ; attempt++) {
      // An attempt takes connectionTimeoutMilliseconds, or what is left before the limit when that is less.
      const timeout =
        maxRetries > 0
          ? Math.max(1, Math.min(connectionTimeoutMilliseconds, deadline - Date.now()))
          : connectionTimeoutMilliseconds;
      try {
        await this.attemptSession(timeout);
        break;
      } catch (error) {
        const code = (error as RegistryCenterError).code ?? 'CONNECT_TIMEOUT';
        const wait = this.backoff(attempt, false);
        const roomLeft = Date.now() + wait < deadline;
        if (code === 'AUTH_FAILED' || this.closed || attempt >= maxRetries || !roomLeft) {
          let cause = (error as Error).message;
          if (code === 'AUTH_FAILED') {
            cause = 'authentication failed: check registryCenter.digest';
          } else if (hasCode(error, 'CONNECT_TIMEOUT')) {
            cause =
              timeout < connectionTimeoutMilliseconds
                ? `no session within ${limitText}`
                : `no session within ${timeout} ms (registryCenter.connectionTimeoutMilliseconds)`;
          }
          if (code !== 'AUTH_FAILED' && attempt < maxRetries && !roomLeft && !cause.includes(limitText)) {
            cause += `; the next retry, ${wait} ms later, would come at or after ${limitText}`;
          }
          throw new RegistryCenterError(
            registryUnreachable(serverLists, this.namespace, attempt + 1, Date.now() - startedAt, cause),
            code,
          );
        }
        await sleep(wait);
      }
    }
    await this.ensurePath('/');
    this.startLease();
    this.emitState({ state: 'CONNECTED', newSession: true, sessionId: this.getSessionId() });
  }

  /**
   * One attempt at the first session, within `timeoutMs`. A plain TCP connection to each server runs beside it: when
   * every server refuses it (nothing listens there) or has a name that does not resolve, the attempt ends at
   * once with `CONNECTION_REFUSED`.
   */
  private async attemptSession(timeoutMs: number): Promise<void> {
    const attempt = new AbortController();
    void probeServers(this.options.serverLists, attempt.signal).then((refusals) => {
      if (refusals) {
        const why = `no server accepts connections (${refusals.join(', ')})`;
        attempt.abort(new RegistryCenterError(why, 'CONNECTION_REFUSED'));
      }
    });
    try {
      await this.openSession(timeoutMs, attempt.signal);
    } finally {
      attempt.abort();
    }
  }

  /**
   * Whether this instance holds its lease: ZooKeeper answered a request sent less than `leaseMilliseconds` ago, so the
   * session is certainly alive and no other instance can have taken this instance's items.
   */
  hasLease(): boolean {
    return this.leaseHeld;
  }

  /** The lease: `LEASE_FRACTION` of the session timeout the server granted. */
  get leaseMilliseconds(): number {
    return Math.floor(this.sessionTimeout * LEASE_FRACTION);
  }

  /** The session timeout the server granted (the one asked for until connected). */
  get sessionTimeout(): number {
    return this.session?.negotiatedTimeout ?? this.options.sessionTimeoutMilliseconds;
  }

  onLease(listener: (held: boolean) => void): () => void {
    this.events.on('lease', listener);
    return () => this.events.off('lease', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
    for (const cache of [...this.caches]) {
      cache.close();
    }
    this.session?.close();
    this.session = undefined;
  }

  isConnected(): boolean {
    return !!this.session?.isConnected;
  }

  getSessionId(): string {
    return this.session?.sessionId ?? '';
  }

  async get(path: string): Promise<string | null> {
    return (await this.getNode(path))?.data ?? null;
  }

  async getNode(path: string): Promise<NodeData | null> {
    this.stats.reads++;
    return this.retry((s) => s.getData(this.abs(path))).catch(nullIfNoNode);
  }

  async exists(path: string): Promise<boolean> {
    this.stats.reads++;
    return (await this.retry((s) => s.exists(this.abs(path))).catch(nullIfNoNode)) !== null;
  }

  async getChildren(path: string): Promise<string[]> {
    this.stats.reads++;
    const children = await this.retry((s) => s.getChildren(this.abs(path))).catch(nullIfNoNode);
    return (children ?? []).sort();
  }

  async create(path: string, data = '', mode: CreateMode = 'PERSISTENT'): Promise<string> {
    await this.ensurePath(parentOf(path));
    this.stats.writes++;
    const created = await this.retry((s) => s.create(this.abs(path), data, mode)).catch(async (error) => {
      if (hasCode(error, 'NO_NODE')) {
        // A parent vanished (removed concurrently, or a server restarted empty): build it again once.
        this.knownPaths.clear();
        await this.ensurePath(parentOf(path));
        return this.retry((s) => s.create(this.abs(path), data, mode));
      }
      throw error;
    });
    return this.rel(created);
  }

  async persist(path: string, data = ''): Promise<void> {
    // A write that fails costs ZooKeeper a transaction as a success does: look first (a read) unless the node is
    // known, so that a new node and an existing one cost one write each.
    const known = this.knownPaths.has(this.abs(path)) || (await this.exists(path));
    if (known) {
      try {
        await this.update(path, data);
        this.rememberPath(this.abs(path));
        return;
      } catch (error) {
        if (!hasCode(error, 'NO_NODE')) {
          throw error;
        }
        this.knownPaths.delete(this.abs(path));
      }
    }
    await this.create(path, data).catch((createError) => {
      if (hasCode(createError, 'NODE_EXISTS')) {
        return this.update(path, data);
      }
      throw createError;
    });
    this.rememberPath(this.abs(path));
  }

  async persistEphemeral(path: string, data = ''): Promise<NodeStat> {
    this.ephemerals.set(path, data);
    return this.createEphemeral(path, data);
  }

  forgetEphemeral(path: string): void {
    this.ephemerals.delete(path);
  }

  async update(path: string, data: string, version = -1): Promise<NodeStat> {
    this.stats.writes++;
    return this.retry((s) => s.setData(this.abs(path), data, version));
  }

  async remove(
    path: string,
    options: { recursive?: boolean; version?: number; sessionId?: string } = {},
  ): Promise<void> {
    const { recursive = false, version = -1, sessionId } = options;
    if (sessionId !== undefined) {
      this.knownPaths.delete(this.abs(path));
      this.stats.writes++;
      await this.retryInSession(sessionId, (s) => s.delete(this.abs(path), version)).catch(nullIfNoNode);
      return;
    }
    this.forgetEphemerals(path, recursive);
    this.knownPaths.delete(this.abs(path));
    for (let attempt = 0; ; attempt++) {
      if (recursive) {
        for (const child of await this.getChildren(path)) {
          await this.remove(`${path === '/' ? '' : path}/${child}`, { recursive: true });
        }
      }
      this.stats.writes++;
      try {
        await this.retry((s) => s.delete(this.abs(path), version));
        return;
      } catch (error) {
        if (hasCode(error, 'NO_NODE')) {
          return;
        }
        // A child appeared meanwhile: remove again.
        if (!(recursive && hasCode(error, 'NOT_EMPTY') && attempt < 5)) {
          throw error;
        }
      }
    }
  }

  async createAndGet(path: string, data: string, mode: CreateMode = 'PERSISTENT'): Promise<CreateOutcome> {
    // The session is the one current now, at the call: the parents below may take a new one to build.
    const sessionId = this.getSessionId();
    await this.ensurePath(parentOf(path));
    const absolute = this.abs(path);
    for (;;) {
      this.stats.writes++;
      this.stats.reads++;
      // Both requests go out at once: ZooKeeper answers one client's requests in order, so the read sees the create.
      const [created, read] = await this.retryInSession(sessionId, (s) =>
        Promise.allSettled([s.create(absolute, data, mode), s.getData(absolute)]).then(([c, r]) => {
          const lost = [c, r].find((x) => x.status === 'rejected' && isRetryable(x.reason));
          if (lost) {
            throw (lost as PromiseRejectedResult).reason;
          }
          return [c, r] as const;
        }),
      );
      // (A create that reached the server before the connection dropped shows up as an existing node with `data`.)
      if (created.status === 'rejected' && hasCode(created.reason, 'NO_NODE')) {
        // A parent vanished (removed concurrently, or a server restarted empty): build it again.
        this.knownPaths.clear();
        await this.ensurePath(parentOf(path));
        continue;
      }
      if (created.status === 'rejected' && !hasCode(created.reason, 'NODE_EXISTS')) {
        throw created.reason;
      }
      if (read.status === 'fulfilled') {
        return { created: created.status === 'fulfilled', node: read.value };
      }
      if (!hasCode(read.reason, 'NO_NODE')) {
        throw read.reason;
      }
      // Removed between the two: once more.
    }
  }

  async cache(path: string): Promise<TreeCache> {
    const cache = new ZookeeperTreeCache(path, (closing) => this.caches.delete(closing));
    this.caches.add(cache);
    await this.withSession((session) => cache.load(this.readerOf(session)));
    return cache;
  }

  onConnectionState(listener: (event: ConnectionStateEvent) => void): () => void {
    this.events.on('state', listener);
    return () => this.events.off('state', listener);
  }

  /** Opens a session within `timeoutMs`; aborting `signal` gives the attempt up (with the signal's reason). */
  private async openSession(
    timeoutMs = this.options.connectionTimeoutMilliseconds,
    signal?: AbortSignal,
  ): Promise<void> {
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
    if (this.closed) {
      session.close();
      throw new RegistryCenterError('registry center closed', 'CLOSED');
    }
    this.session = session;
    session.on('disconnected', () => {
      if (session === this.session) {
        this.checkLease();
        this.logger.warn(`ZooKeeper connection lost (session ${session.sessionId}); reconnecting`);
        this.emitState({ state: 'SUSPENDED', newSession: false, sessionId: session.sessionId });
      }
    });
    session.on('connected', () => {
      if (session === this.session) {
        this.heartbeat();
        this.logger.log(`ZooKeeper connection restored (session ${session.sessionId})`);
        this.emitState({ state: 'RECONNECTED', newSession: false, sessionId: session.sessionId });
      }
    });
    session.on('ended', (why: SessionEnd) => {
      if (session === this.session) {
        this.checkLease();
      }
      if (session === this.session && !this.closed && why !== 'CLOSED') {
        this.logger.error(
          `ZooKeeper session ${why === 'EXPIRED' ? 'expired' : 'ended: ' + why}; opening a new session`,
        );
        this.emitState({ state: 'LOST', newSession: false, sessionId: '' });
        this.renewSession();
      }
    });
  }

  /** Opens a fresh session after an expiry, then restores ephemerals and caches. Retries until it succeeds. */
  private renewSession(): void {
    if (this.renewing) {
      return;
    }
    this.renewing = (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          await this.openSession();
          for (const [path, data] of this.ephemerals) {
            await this.createEphemeral(path, data);
          }
          for (const cache of this.caches) {
            await cache.load(this.readerOf(this.session!));
          }
          this.logger.log(`ZooKeeper session renewed (session ${this.getSessionId()})`);
          this.emitState({ state: 'RECONNECTED', newSession: true, sessionId: this.getSessionId() });
          return;
        } catch (error) {
          this.logger.warn(`ZooKeeper session renewal failed: ${(error as Error).message}; retrying`);
          await sleep(this.backoff(attempt));
        }
      }
    })().finally(() => (this.renewing = undefined));
  }

  private startLease(): void {
    if (this.leaseTimer) {
      return;
    }
    const every = Math.min(1000, Math.max(20, Math.floor(this.sessionTimeout / 20)));
    this.leaseTimer = setInterval(() => this.checkLease(), every);
    this.leaseTimer.unref();
    this.checkLease();
  }

  /** Renews the lease with a heartbeat when nothing was answered lately, and reports when it is lost or regained. */
  private checkLease(): void {
    const session = this.session;
    const timeout = this.sessionTimeout;
    const age = session && !session.isEnded ? Date.now() - session.lastContact : Infinity;
    if (session && !session.isConnected && Number.isFinite(age) && age > timeout) {
      this.abandon(session);
      return;
    }
    if (age >= timeout * HEARTBEAT_FRACTION) {
      this.heartbeat();
    }
    const held = !this.closed && age < timeout * LEASE_FRACTION;
    if (held !== this.leaseHeld) {
      this.leaseHeld = held;
      if (held) {
        this.logger.log(`ZooKeeper lease regained (session ${this.getSessionId()})`);
      } else if (!this.closed) {
        this.logger.warn(
          `ZooKeeper lease lost: no answer for ${Number.isFinite(age) ? `${age} ms` : 'the whole session'} ` +
            `(lease ${this.leaseMilliseconds} ms); starting no item and aborting running ones`,
        );
      }
      this.events.emit('lease', held);
    }
  }

  /**
   * Gives up a session that has been disconnected, without an answer, for a whole session timeout: the server has
   * expired it by now (or will as soon as it is back), or never knew it (a server restarted empty refuses a client
   * that has seen later transactions than its own, and the client would retry for ever). A new session starts; the
   * instance cleans up after the old one itself (see `ExecutionService.releaseForeign`).
   */
  private abandon(session: ZookeeperSession): void {
    if (this.closed || session !== this.session) {
      return;
    }
    this.logger.error(
      `ZooKeeper session ${session.sessionId} got no answer for ${this.sessionTimeout} ms; opening a new session`,
    );
    session.close();
    this.checkLease();
    this.emitState({ state: 'LOST', newSession: false, sessionId: '' });
    this.renewSession();
  }

  private heartbeat(): void {
    const session = this.session;
    if (this.heartbeating || !session?.isConnected) {
      return;
    }
    this.heartbeating = true;
    this.stats.reads++;
    session
      .exists('/')
      .catch(() => undefined)
      .finally(() => {
        this.heartbeating = false;
        this.checkLease();
      });
  }

  private async createEphemeral(path: string, data: string): Promise<NodeStat> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.create(path, data, 'EPHEMERAL');
        const node = await this.getNode(path);
        if (node) {
          return node.stat;
        }
      } catch (error) {
        if (!hasCode(error, 'NODE_EXISTS') || attempt >= 3) {
          throw error;
        }
        // Left by an earlier session of ours (or another owner): replace it.
        await this.retry((s) => s.delete(this.abs(path), -1)).catch(nullIfNoNode);
      }
    }
  }

  private forgetEphemerals(path: string, recursive: boolean): void {
    this.ephemerals.delete(path);
    if (recursive) {
      for (const key of this.ephemerals.keys()) {
        if (key.startsWith(`${path}/`)) {
          this.ephemerals.delete(key);
        }
      }
    }
  }

  private async ensurePath(path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    let current = '';
    for (const part of ['', ...parts]) {
      current = part ? `${current}/${part}` : '';
      const absolute = current ? this.abs(current) : `/${this.namespace}`;
      if (this.knownPaths.has(absolute)) {
        continue;
      }
      this.stats.writes++;
      await this.retry((s) => s.create(absolute, '', 'PERSISTENT')).catch(ignoring('NODE_EXISTS'));
      this.rememberPath(absolute);
    }
  }

  // Paths known to have existed, so that creating under them costs no extra round trip. A stale entry (removed since)
  // is found out by the NO_NODE of the create, which then clears this set and builds the parents again.
  private readonly knownPaths = new Set<string>();
  private rememberPath(path: string): void {
    if (this.knownPaths.size > 1_000_000) {
      this.knownPaths.clear();
    }
    this.knownPaths.add(path);
  }

  private readerOf(session: ZookeeperSession): CacheReader {
    return {
      getData: (path, watcher) => {
        this.stats.reads++;
        return session.getData(this.abs(path), watcher);
      },
      getChildren: (path, watcher) => {
        this.stats.reads++;
        return session.getChildren(this.abs(path), watcher);
      },
      exists: (path, watcher) => session.exists(this.abs(path), watcher),
      relative: (absolute) => this.rel(absolute),
    };
  }

  /** Runs `operation` on the current session, retrying connection-level failures with back-off. */
  private async retry<T>(operation: (session: ZookeeperSession) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.withSession(operation);
      } catch (error) {
        const retryable = error instanceof RegistryCenterError && RETRYABLE_CODES.has(error.code);
        if (!retryable || attempt >= this.options.maxRetries || this.closed) {
          throw error;
        }
        await sleep(this.backoff(attempt));
      }
    }
  }

  /**
   * Like `retry`, but only in the session `sessionId`: if it has ended, fails with `SESSION_CHANGED` rather than run
   * `operation` in a new session (where a write meant for the old one would be wrong).
   */
  private async retryInSession<T>(sessionId: string, operation: (session: ZookeeperSession) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const session = this.session;
      if (this.closed || !session || session.isEnded || session.sessionId !== sessionId) {
        throw new RegistryCenterError(`ZooKeeper session ${sessionId} is over`, 'SESSION_CHANGED');
      }
      try {
        return await operation(session);
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.options.maxRetries) {
          throw error;
        }
        await sleep(this.backoff(attempt));
      }
    }
  }

  private async withSession<T>(operation: (session: ZookeeperSession) => Promise<T>): Promise<T> {
    if (this.closed) {
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
      if (this.closed || Date.now() > deadline) {
        throw new RegistryCenterError('no ZooKeeper session', 'NOT_CONNECTED');
      }
      await sleep(20);
    }
  }

  /** The wait before retry `attempt + 1`: `base x 2^attempt`, at most `max`; `jitter` takes up to half of it off. */
  private backoff(attempt: number, jitter = true): number {
    const { baseSleepTimeMilliseconds, maxSleepTimeMilliseconds } = this.options;
    const share = jitter ? 0.5 + Math.random() / 2 : 1;
    return Math.min(maxSleepTimeMilliseconds, baseSleepTimeMilliseconds * 2 ** attempt) * share;
  }

  private emitState(event: ConnectionStateEvent): void {
    this.events.emit('state', event);
  }

  private abs(path: string): string {
    return path === '/' ? `/${this.namespace}` : `/${this.namespace}${path}`;
  }

  private rel(absolute: string): string {
    const prefix = `/${this.namespace}`;
    return absolute === prefix ? '/' : absolute.startsWith(`${prefix}/`) ? absolute.slice(prefix.length) : absolute;
  }
}

const isRetryable = (error: unknown) => error instanceof RegistryCenterError && RETRYABLE_CODES.has(error.code);
const parentOf = (path: string) => path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || '/';
const nullIfNoNode = (error: unknown): null => {
  if (hasCode(error, 'NO_NODE')) {
    return null;
  }
  throw error;
};
