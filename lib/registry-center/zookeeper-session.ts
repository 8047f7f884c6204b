import { EventEmitter } from 'node:events';
import { runNative } from './native-client.queue';
import type { NodeData, NodeStat } from './registry-center.interface';
import { RegistryCenterError } from './registry-center.error';
import { compactStat, CONNECTION_LOSS, FLAGS, NativeClient, NO_ANSWER, PERM_ALL, Watcher } from './native-client';
import { SessionConnection } from './session-connection';
import { SessionWatches, WatchKind } from './session-watches';

/** Why a session ended: closed by us, expired, or refused authentication. */
export type SessionEnd = 'CLOSED' | 'EXPIRED' | 'AUTH_FAILED';

/**
 * One ZooKeeper session over the native client: promise operations with typed errors, and events
 * `connected`, `disconnected` and `ended` (with a `SessionEnd`). Paths here are absolute.
 *
 * Every call into the native client goes through `runNative` (see native-client.queue.ts for why). A native client
 * whose send failed is replaced by one that takes the same session over (see `SessionConnection`).
 *
 * A watch is not lost to the connection. It is owed when the native client that had it set was given up (the new one
 * has none of its watches), or when the request that was to set it failed for want of a connection. Once connected
 * (and authenticated) again, the session sets each owed watch itself and gives its watcher one event, from what the
 * node is then, much as ZooKeeper does for a reconnecting client's watches (here whether the node changed or not):
 * `DELETED` when the node is gone, else `CHANGED` (a data watch), `CHILD` (a child watch) or `CREATED` (a watch set by
 * `exists`, on a node that exists now; on one still missing the watch is just set again). The watcher's owner then
 * reads (and watches) again, as after any event.
 */
export class ZookeeperSession extends EventEmitter {
  private readonly watches = new SessionWatches(
    (kind, path, watchers) => this.arm(kind, path, watchers),
    () => this.isConnected,
  );
  private readonly connection: SessionConnection;
  /**
   * When the last request that the server answered was sent: the server had heard from this session by then, so it
   * cannot expire the session before this time plus the session timeout. The base of the instance's lease.
   */
  lastContact = 0;

  constructor(
    serverLists: string,
    requestedTimeout: number,
    private readonly digest?: string,
  ) {
    super();
    this.connection = new SessionConnection(serverLists, requestedTimeout, {
      authenticateTakeOver: () => this.authenticate(true),
      connected: () => {
        this.emit('connected');
        this.watches.replay();
      },
      disconnected: () => this.emit('disconnected'),
      replacing: () => this.watches.oweAll(),
      expired: () => {
        this.watches.clear();
        this.emit('ended', 'EXPIRED');
      },
    });
  }

  /** Starts connecting; resolves once connected (and authenticated), rejects after `timeoutMs`. */
  open(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new RegistryCenterError(`no connection within ${timeoutMs} ms`, 'CONNECT_TIMEOUT'));
      }, timeoutMs);
      const onConnected = () => {
        cleanup();
        this.authenticate().then(resolve, reject);
      };
      const onEnded = (why: SessionEnd) => {
        cleanup();
        reject(new RegistryCenterError(`session ended while connecting: ${why}`, why));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.off('ended', onEnded);
      };
      this.on('connected', onConnected);
      this.on('ended', onEnded);
      this.connection.start();
    });
  }

  get isConnected(): boolean {
    return this.connection.isConnected;
  }

  get isEnded(): boolean {
    return this.connection.isEnded;
  }

  get sessionId(): string {
    return this.connection.sessionId;
  }

  /** The session timeout the server granted (it may differ from the one asked for), in milliseconds. */
  get negotiatedTimeout(): number {
    return this.connection.negotiatedTimeout;
  }

  close(): void {
    if (this.connection.close()) {
      this.watches.clear();
      this.emit('ended', 'CLOSED');
    }
  }

  create(path: string, data: string, mode: keyof typeof FLAGS): Promise<string> {
    return this.call<string>('create', path, (client, cb) =>
      client.a_create(path, data, FLAGS[mode], (rc, error, created) => cb(rc, created)),
    ).then(async (created) => {
      if (this.digest) {
        await this.call('set_acl', created, (client, cb) =>
          client.a_set_acl(created, -1, [{ perms: PERM_ALL, scheme: 'auth', auth: '' }], (rc) => cb(rc, undefined)),
        );
      }
      return created;
    });
  }

  getData(path: string, watcher?: Watcher): Promise<NodeData> {
    const done =
      (cb: (rc: number, value?: NodeData) => void) => (rc: number, _e: string, stat: NodeStat, data: Buffer | null) =>
        cb(rc, rc === 0 ? { data: data ? data.toString('utf8') : '', stat: compactStat(stat) } : undefined);
    return this.call(
      'get',
      path,
      (client, cb) =>
        watcher ? client.aw_get(path, this.watches.fire, done(cb)) : client.a_get(path, false, done(cb)),
      watcher && { kind: 'data', watchers: [watcher] },
    );
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    const done = (cb: (rc: number, value?: string[]) => void) => (rc: number, _e: string, children: string[]) =>
      cb(rc, children ?? []);
    return this.call(
      'get_children',
      path,
      (client, cb) =>
        watcher
          ? client.aw_get_children(path, this.watches.fire, done(cb))
          : client.a_get_children(path, false, done(cb)),
      watcher && { kind: 'child', watchers: [watcher] },
    );
  }

  exists(path: string, watcher?: Watcher): Promise<NodeStat> {
    const done = (cb: (rc: number, value?: NodeStat) => void) => (rc: number, _e: string, stat: NodeStat) =>
      cb(rc, stat);
    return this.call(
      'exists',
      path,
      (client, cb) =>
        watcher ? client.aw_exists(path, this.watches.fire, done(cb)) : client.a_exists(path, false, done(cb)),
      watcher && { kind: 'exist', watchers: [watcher] },
    );
  }

  setData(path: string, data: string, version: number): Promise<NodeStat> {
    return this.call('set', path, (client, cb) =>
      client.a_set(path, data, version, (rc, _e, stat) => cb(rc, stat && compactStat(stat))),
    );
  }

  delete(path: string, version: number): Promise<void> {
    return this.call('delete', path, (client, cb) => client.a_delete_(path, version, (rc) => cb(rc, undefined)));
  }

  /** Sets an owed watch again, for `SessionWatches.replay`: one request for all of the node's watchers of `kind`. */
  private arm(kind: WatchKind, path: string, watchers: Watcher[]): Promise<unknown> {
    const watch = { kind, watchers };
    const fire = this.watches.fire;
    return kind === 'data'
      ? this.call('get', path, (client, cb) => client.aw_get(path, fire, (rc) => cb(rc, 0)), watch)
      : kind === 'child'
        ? this.call('get_children', path, (client, cb) => client.aw_get_children(path, fire, (rc) => cb(rc, 0)), watch)
        : this.call('exists', path, (client, cb) => client.aw_exists(path, fire, (rc) => cb(rc, 0)), watch);
  }

  private authenticate(resuming = false): Promise<void> {
    if (!this.digest) {
      return Promise.resolve();
    }
    return this.call(
      'add_auth',
      undefined,
      (client, cb) => client.add_auth('digest', this.digest!, (rc) => cb(rc, undefined)),
      undefined,
      resuming,
    );
  }

  /**
   * Sends one request from the native queue. With `watch`, the request sets a watch for `watch.watchers` on `path`:
   * they are noted as set once the server has set it, or as owed when it did not get through for want of a connection.
   */
  private call<T>(
    operation: string,
    path: string | undefined,
    send: (client: NativeClient, cb: (rc: number, value: T | undefined) => void) => number,
    watch?: { kind: WatchKind; watchers: Watcher[] },
    whileResuming = false,
  ): Promise<T> {
    const note = (rc: number) => {
      if (watch && path !== undefined && !this.isEnded) {
        this.watches.note(watch.kind, path, watch.watchers, rc);
      }
    };
    return new Promise<T>((resolve, reject) => {
      runNative(() => {
        if (this.isEnded) {
          reject(
            new RegistryCenterError(
              `ZooKeeper ${operation}${path ? ` ${path}` : ''} failed: the session is closed`,
              'NOT_CONNECTED',
              path,
            ),
          );
          return;
        }
        if (this.connection.isResuming && !whileResuming) {
          note(CONNECTION_LOSS);
          reject(RegistryCenterError.fromResultCode(CONNECTION_LOSS, operation, path));
          return;
        }
        const client = this.connection.client;
        let sent: number;
        const sentAt = Date.now();
        try {
          sent = send(client, (rc, value) => {
            if (!NO_ANSWER.has(rc) && sentAt > this.lastContact) {
              this.lastContact = sentAt;
            }
            note(rc);
            return rc === 0 ? resolve(value as T) : reject(RegistryCenterError.fromResultCode(rc, operation, path));
          });
        } catch (error) {
          reject(
            new RegistryCenterError(
              `ZooKeeper ${operation} ${path ?? ''} failed: ${(error as Error).message}`,
              'BAD_ARGUMENTS',
              path,
            ),
          );
          return;
        }
        if (typeof sent === 'number' && sent < 0) {
          reject(RegistryCenterError.fromResultCode(sent, operation, path));
        }
        this.connection.replaceIfBroken(client);
      });
    });
  }
}
