import { EventEmitter } from 'node:events';
import { RegistryCenterOptions } from '../interfaces';
import { stripUndefined } from '../utils';
import { logger } from '../elastic-job.logger';
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
import { hasCode } from './registry-center.error';
import { EphemeralNodes } from './ephemeral-nodes';
import { Lease } from './lease';
import { KnownPaths, NamespacePaths } from './namespace-paths';
import { NodeWriter } from './node-writer';
import { connectWithinLimit, REGISTRY_CENTER_DEFAULTS, ResolvedOptions, RetryPolicy } from './retry-policy';
import { SessionKeeper } from './session-keeper';
import { ZookeeperTreeCache } from './zookeeper-tree-cache';

export { REGISTRY_CENTER_DEFAULTS } from './retry-policy';
export { LEASE_FRACTION } from './lease';

/**
 * The registry center over ZooKeeper. It owns one session at a time; when a session expires it opens a new one
 * (retrying for ever with back-off), re-creates this process's ephemeral nodes and reloads every cache, so an
 * instance never stays down because of an expiry.
 */
export class ZookeeperRegistryCenter extends RegistryCenter {
  readonly namespace: string;
  readonly stats: RegistryCenterStats = { reads: 0, writes: 0 };
  private readonly options: ResolvedOptions;
  private readonly events = new EventEmitter();
  private readonly caches = new Set<ZookeeperTreeCache>();
  private readonly knownPaths = new KnownPaths();
  private readonly paths: NamespacePaths;
  private readonly keeper: SessionKeeper;
  private readonly lease: Lease;
  private readonly policy: RetryPolicy;
  private readonly ephemerals: EphemeralNodes;
  private readonly writer: NodeWriter;
  private closed = false;

  constructor(options: RegistryCenterOptions) {
    super();
    this.options = { ...REGISTRY_CENTER_DEFAULTS, ...stripUndefined(options) } as ResolvedOptions;
    this.namespace = options.namespace.replace(/^\/+|\/+$/g, '');
    this.events.setMaxListeners(0);
    this.paths = new NamespacePaths(this.namespace);
    const isClosed = () => this.closed;
    this.keeper = new SessionKeeper(this.options, logger, {
      isClosed,
      checkLease: () => this.lease.check(),
      heartbeat: () => this.lease.heartbeat(),
      emitState: (event) => this.events.emit('state', event),
      restore: () => this.restore(),
    });
    this.lease = new Lease(this.keeper, logger, {
      isClosed,
      stats: this.stats,
      changed: (held) => this.events.emit('lease', held),
    });
    this.policy = new RetryPolicy(this.options, this.keeper, isClosed);
    this.writer = new NodeWriter(this, this.paths, this.knownPaths, this.policy);
    this.ephemerals = new EphemeralNodes({
      createEphemeral: (path, data) => this.create(path, data, 'EPHEMERAL'),
      getNode: (path) => this.getNode(path),
      delete: (path) => this.policy.retry((s) => s.delete(this.paths.abs(path), -1)).catch(nullIfNoNode),
    });
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
    await connectWithinLimit(
      this.options,
      this.namespace,
      (timeout) => this.keeper.attempt(timeout),
      () => this.closed,
    );
    await this.writer.ensurePath('/');
    this.lease.start();
    this.events.emit('state', { state: 'CONNECTED', newSession: true, sessionId: this.getSessionId() });
  }

  /**
   * Whether this instance holds its lease: ZooKeeper answered a request sent less than `leaseMilliseconds` ago, so the
   * session is certainly alive and no other instance can have taken this instance's items.
   */
  hasLease(): boolean {
    return this.lease.isHeld;
  }

  /** The lease: `LEASE_FRACTION` of the session timeout the server granted. */
  get leaseMilliseconds(): number {
    return this.lease.milliseconds;
  }

  /** The session timeout the server granted (the one asked for until connected). */
  get sessionTimeout(): number {
    return this.keeper.sessionTimeout;
  }

  onLease(listener: (held: boolean) => void): () => void {
    this.events.on('lease', listener);
    return () => this.events.off('lease', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lease.stop();
    for (const cache of [...this.caches]) {
      cache.close();
    }
    this.keeper.close();
  }

  isConnected(): boolean {
    return !!this.keeper.session?.isConnected;
  }

  getSessionId(): string {
    return this.keeper.sessionId;
  }

  async get(path: string): Promise<string | null> {
    return (await this.getNode(path))?.data ?? null;
  }

  async getNode(path: string): Promise<NodeData | null> {
    this.stats.reads++;
    return this.policy.retry((s) => s.getData(this.paths.abs(path))).catch(nullIfNoNode);
  }

  async exists(path: string): Promise<boolean> {
    this.stats.reads++;
    return (await this.policy.retry((s) => s.exists(this.paths.abs(path))).catch(nullIfNoNode)) !== null;
  }

  async getChildren(path: string): Promise<string[]> {
    this.stats.reads++;
    const children = await this.policy.retry((s) => s.getChildren(this.paths.abs(path))).catch(nullIfNoNode);
    return (children ?? []).sort();
  }

  create(path: string, data = '', mode: CreateMode = 'PERSISTENT'): Promise<string> {
    return this.writer.create(path, data, mode);
  }

  persist(path: string, data = ''): Promise<void> {
    return this.writer.persist(path, data);
  }

  async persistEphemeral(path: string, data = ''): Promise<NodeStat> {
    return this.ephemerals.persist(path, data);
  }

  forgetEphemeral(path: string): void {
    this.ephemerals.forget(path);
  }

  async update(path: string, data: string, version = -1): Promise<NodeStat> {
    this.stats.writes++;
    return this.policy.retry((s) => s.setData(this.paths.abs(path), data, version));
  }

  async remove(
    path: string,
    options: { recursive?: boolean; version?: number; sessionId?: string } = {},
  ): Promise<void> {
    const { recursive = false, version = -1, sessionId } = options;
    const absolute = this.paths.abs(path);
    if (sessionId !== undefined) {
      this.knownPaths.forget(absolute);
      this.stats.writes++;
      await this.policy.retryInSession(sessionId, (s) => s.delete(absolute, version)).catch(nullIfNoNode);
      return;
    }
    this.ephemerals.forget(path, recursive);
    this.knownPaths.forget(absolute);
    for (let attempt = 0; ; attempt++) {
      if (recursive) {
        for (const child of await this.getChildren(path)) {
          await this.remove(`${path === '/' ? '' : path}/${child}`, { recursive: true });
        }
      }
      this.stats.writes++;
      try {
        await this.policy.retry((s) => s.delete(absolute, version));
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

  createAndGet(path: string, data: string, mode: CreateMode = 'PERSISTENT'): Promise<CreateOutcome> {
    return this.writer.createAndGet(path, data, mode);
  }

  async cache(path: string): Promise<TreeCache> {
    const cache = new ZookeeperTreeCache(path, (closing) => this.caches.delete(closing));
    this.caches.add(cache);
    await this.keeper.withSession((session) => cache.load(this.paths.readerOf(session, this.stats)));
    return cache;
  }

  onConnectionState(listener: (event: ConnectionStateEvent) => void): () => void {
    this.events.on('state', listener);
    return () => this.events.off('state', listener);
  }

  /** Re-creates this process's ephemeral nodes and reloads every cache, in the session that replaced an expired one. */
  private async restore(): Promise<void> {
    await this.ephemerals.restore();
    for (const cache of this.caches) {
      await cache.load(this.paths.readerOf(this.keeper.session!, this.stats));
    }
  }
}

const nullIfNoNode = (error: unknown): null => {
  if (hasCode(error, 'NO_NODE')) {
    return null;
  }
  throw error;
};
