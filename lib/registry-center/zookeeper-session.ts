import { EventEmitter } from 'node:events';
import { runNative } from './native-client.queue';
import type { NodeData, NodeStat } from './registry-center.interface';
import { RegistryCenterError } from './registry-center.error';

// The `zookeeper` package ships loose typings; this is the part of its callback API we use.
type Watcher = (type: number, state: number, path: string) => void;
interface NativeClient extends EventEmitter {
  init(config: Record<string, unknown>): NativeClient;
  close(): void;
  client_id: string;
  /** The session's password (hex), which a new native client presents to take the session over. */
  client_password: string;
  /** The C library's connection state (`NOT_CONNECTED_STATE` after it dropped the connection on a failed send). */
  readonly state: number;
  /** The session timeout negotiated with the server (after connecting), or the one asked for. */
  readonly timeout: number;
  a_create(path: string, data: string, flags: number, cb: (rc: number, error: string, path: string) => void): number;
  a_exists(path: string, watch: boolean, cb: (rc: number, error: string, stat: NodeStat) => void): number;
  aw_exists(path: string, watcher: Watcher, cb: (rc: number, error: string, stat: NodeStat) => void): number;
  a_get(
    path: string,
    watch: boolean,
    cb: (rc: number, error: string, stat: NodeStat, data: Buffer | null) => void,
  ): number;
  aw_get(
    path: string,
    watcher: Watcher,
    cb: (rc: number, error: string, stat: NodeStat, data: Buffer | null) => void,
  ): number;
  a_get_children(path: string, watch: boolean, cb: (rc: number, error: string, children: string[]) => void): number;
  aw_get_children(path: string, watcher: Watcher, cb: (rc: number, error: string, children: string[]) => void): number;
  a_set(path: string, data: string, version: number, cb: (rc: number, error: string, stat: NodeStat) => void): number;
  a_delete_(path: string, version: number, cb: (rc: number, error: string) => void): number;
  a_set_acl(path: string, version: number, acl: unknown[], cb: (rc: number, error: string) => void): number;
  add_auth(scheme: string, auth: string, cb: (rc: number, error: string) => void): number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ZooKeeper: new (config: Record<string, unknown>) => NativeClient = require('zookeeper');

export const WATCH_EVENT = { CREATED: 1, DELETED: 2, CHANGED: 3, CHILD: 4, SESSION: -1 } as const;
const FLAGS = { PERSISTENT: 0, EPHEMERAL: 1, PERSISTENT_SEQUENTIAL: 2, EPHEMERAL_SEQUENTIAL: 3 } as const;
const PERM_ALL = 31;

// Result codes that mean no server answered (the request may not have reached it).
const NO_ANSWER = new Set([-4, -7, -9, -112, -116]);
const CONNECTION_LOSS = -4;
const NO_NODE = -101;
// Result codes of a request that did not get through for want of a connection: a watch it was to set is owed.
const NO_CONNECTION = new Set([CONNECTION_LOSS, -7, -116]);
// ZOO_CONNECTED_STATE, for the events of a replay; ZOO_NOTCONNECTED_STATE, the state the C library leaves when a send
// fails: it has closed the socket on the spot, and told neither the package nor us.
const CONNECTED_STATE = 3;
const NOT_CONNECTED_STATE = 999;

/** How a watch was set: by `getData`, by `exists` (on a node or on its absence) or by `getChildren`. */
type WatchKind = 'data' | 'exist' | 'child';
// Which watches an event fires, as the C library decides (collectWatchers): a creation or a change the node's, a
// deletion every kind, a child event the child watches.
const FIRES: Readonly<Record<number, readonly WatchKind[]>> = {
  [WATCH_EVENT.CREATED]: ['data', 'exist'],
  [WATCH_EVENT.CHANGED]: ['data', 'exist'],
  [WATCH_EVENT.CHILD]: ['child'],
  [WATCH_EVENT.DELETED]: ['data', 'exist', 'child'],
};

/**
 * Callers' watches by node: those set on the server that have not fired (the native client is given one watcher
 * function per session, as it keeps every function it is given, which hands each event to the callers' watchers found
 * here), or those owed (see `ZookeeperSession`).
 */
class PendingWatches {
  private readonly byPath = new Map<string, Partial<Record<WatchKind, Set<Watcher>>>>();

  get size(): number {
    return this.byPath.size;
  }

  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const kinds = this.byPath.get(path) ?? {};
    (kinds[kind] ??= new Set()).add(watcher);
    this.byPath.set(path, kinds);
  }

  /** Removes and returns the watchers that an event of `type` on `path` fires (each once). */
  take(type: number, path: string): Watcher[] {
    const kinds = this.byPath.get(path);
    const fired = new Set<Watcher>();
    for (const kind of (kinds && FIRES[type]) ?? []) {
      kinds![kind]?.forEach((watcher) => fired.add(watcher));
      delete kinds![kind];
    }
    if (kinds && Object.keys(kinds).length === 0) {
      this.byPath.delete(path);
    }
    return [...fired];
  }

  /** Removes and returns every watch. */
  takeAll(): [string, Partial<Record<WatchKind, Set<Watcher>>>][] {
    const all = [...this.byPath];
    this.byPath.clear();
    return all;
  }

  clear(): void {
    this.byPath.clear();
  }
}

/** Why a session ended: closed by us, expired, or refused authentication. */
export type SessionEnd = 'CLOSED' | 'EXPIRED' | 'AUTH_FAILED';

/**
 * One ZooKeeper session over the native client: promise operations with typed errors, and events
 * `connected`, `disconnected` and `ended` (with a `SessionEnd`). Paths here are absolute.
 *
 * Every call into the native client goes through `runNative` (see native-client.queue.ts for why). When a request's
 * send fails, the C library closes the connection without a word to the package, which keeps watching the closed
 * socket: the session then closes that native client at once and goes on with a new one that takes the same session
 * over (its id and password), as the library itself would on a reconnection.
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
  private client: NativeClient;
  private connected = false;
  private ended = false;
  /** On a new native client that has not connected (and authenticated) yet: requests fail at once meanwhile. */
  private resuming = false;
  private negotiated = 0;
  private readonly watches = new PendingWatches();
  private readonly owed = new PendingWatches();
  private replaying = false;
  /**
   * When the last request that the server answered was sent: the server had heard from this session by then, so it
   * cannot expire the session before this time plus the session timeout. The base of the instance's lease.
   */
  lastContact = 0;

  constructor(
    private readonly serverLists: string,
    private readonly requestedTimeout: number,
    private readonly digest?: string,
  ) {
    super();
    this.client = this.createClient();
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
      runNative(() => {
        if (!this.ended) {
          this.client.init({});
        }
      });
    });
  }

  get isConnected(): boolean {
    return this.connected && !this.ended;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get sessionId(): string {
    return this.ended ? '' : String(this.client.client_id ?? '');
  }

  /** The session timeout the server granted (it may differ from the one asked for), in milliseconds. */
  get negotiatedTimeout(): number {
    const timeout = this.negotiated || Number(this.client.timeout);
    return timeout > 0 ? timeout : this.requestedTimeout;
  }

  close(): void {
    if (!this.ended) {
      this.ended = true;
      this.connected = false;
      this.resuming = false;
      this.watches.clear();
      this.owed.clear();
      // The client current when the queue gets there (a replacement, maybe): it sends the close request and frees the
      // native handle.
      runNative(() => this.client.close());
      this.emit('ended', 'CLOSED');
    }
  }

  create(path: string, data: string, mode: keyof typeof FLAGS): Promise<string> {
    return this.call<string>('create', path, (cb) =>
      this.client.a_create(path, data, FLAGS[mode], (rc, error, created) => cb(rc, created)),
    ).then(async (created) => {
      if (this.digest) {
        await this.call('set_acl', created, (cb) =>
          this.client.a_set_acl(created, -1, [{ perms: PERM_ALL, scheme: 'auth', auth: '' }], (rc) =>
            cb(rc, undefined),
          ),
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
      (cb) => (watcher ? this.client.aw_get(path, this.fire, done(cb)) : this.client.a_get(path, false, done(cb))),
      watcher && { kind: 'data', watchers: [watcher] },
    );
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    const done = (cb: (rc: number, value?: string[]) => void) => (rc: number, _e: string, children: string[]) =>
      cb(rc, children ?? []);
    return this.call(
      'get_children',
      path,
      (cb) =>
        watcher
          ? this.client.aw_get_children(path, this.fire, done(cb))
          : this.client.a_get_children(path, false, done(cb)),
      watcher && { kind: 'child', watchers: [watcher] },
    );
  }

  exists(path: string, watcher?: Watcher): Promise<NodeStat> {
    const done = (cb: (rc: number, value?: NodeStat) => void) => (rc: number, _e: string, stat: NodeStat) =>
      cb(rc, stat);
    return this.call(
      'exists',
      path,
      (cb) =>
        watcher ? this.client.aw_exists(path, this.fire, done(cb)) : this.client.a_exists(path, false, done(cb)),
      watcher && { kind: 'exist', watchers: [watcher] },
    );
  }

  setData(path: string, data: string, version: number): Promise<NodeStat> {
    return this.call('set', path, (cb) =>
      this.client.a_set(path, data, version, (rc, _e, stat) => cb(rc, stat && compactStat(stat))),
    );
  }

  delete(path: string, version: number): Promise<void> {
    return this.call('delete', path, (cb) => this.client.a_delete_(path, version, (rc) => cb(rc, undefined)));
  }

  /** A native client with this session's listeners; `init` starts it. */
  private createClient(): NativeClient {
    const client = new ZooKeeper({
      connect: this.serverLists,
      timeout: this.requestedTimeout,
      debug_level: 0,
      host_order_deterministic: false,
    });
    client.on('connect', () => {
      if (client !== this.client || this.ended) {
        return;
      }
      this.negotiated = Number(client.timeout) || this.negotiated;
      if (!this.resuming) {
        this.connected = true;
        this.emit('connected');
        this.replayWatches();
        return;
      }
      // A new native client took the session over: authenticate it before anything else is sent, then give the
      // watches of the old one their events.
      this.authenticate(true).then(
        () => {
          if (client === this.client && !this.ended) {
            this.resuming = false;
            this.connected = true;
            this.emit('connected');
            this.replayWatches();
          }
        },
        // Refused: the library ends the session (a close event). Lost again: the next connection tries again.
        () => undefined,
      );
    });
    client.on('connecting', () => {
      if (client === this.client && this.connected) {
        this.connected = false;
        this.emit('disconnected');
      }
    });
    // The package's wrapper replaces the close code with itself, so the code cannot be read: a close we did not ask
    // for is the session ending on the server's side (expiry; or a refused authentication, seen as such by open()).
    client.on('close', () => {
      if (client !== this.client) {
        return;
      }
      this.connected = false;
      if (!this.ended) {
        this.ended = true;
        this.watches.clear();
        this.owed.clear();
        // Free the native handle too: an expired handle left open keeps reconnecting in the background.
        runNative(() => client.close());
        this.emit('ended', 'EXPIRED');
      }
    });
    client.on('error', () => undefined);
    return client;
  }

  /**
   * The C library closed `broken`'s socket when a send failed, and the package still watches that socket: close the
   * client now (that drops its poll handle; its pending requests fail with `CLOSING`, which callers retry) and take
   * the session over with a new one. Runs from the native queue, right after the send.
   */
  private replaceClient(broken: NativeClient): void {
    const clientId = broken.client_id;
    const password = broken.client_password;
    broken.removeAllListeners();
    broken.on('error', () => undefined);
    broken.close();
    if (this.ended) {
      return;
    }
    for (const [path, kinds] of this.watches.takeAll()) {
      for (const kind of Object.keys(kinds) as WatchKind[]) {
        kinds[kind]!.forEach((watcher) => this.owed.add(kind, path, watcher));
      }
    }
    const wasConnected = this.connected;
    this.connected = false;
    this.resuming = true;
    this.client = this.createClient();
    this.client.init({ client_id: clientId, client_password: password });
    if (wasConnected) {
      this.emit('disconnected');
    }
  }

  /** The watcher every native client is given: hands an event to the watchers it fires. */
  private readonly fire: Watcher = (type, state, path) => {
    if (type !== WATCH_EVENT.SESSION) {
      this.watches.take(type, path).forEach((watcher) => watcher(type, state, path));
    }
  };

  /**
   * Sets every owed watch and gives its watchers their event (see the class). A watch that fails to be set for want of
   * a connection again stays owed, for the next connection.
   */
  private replayWatches(): void {
    if (this.replaying || this.owed.size === 0) {
      return;
    }
    this.replaying = true;
    const owed = this.owed.takeAll();
    void Promise.all(
      owed.map(async ([path, kinds]) => {
        const deleted = new Set<Watcher>();
        await Promise.all(
          (Object.keys(kinds) as WatchKind[]).map(async (kind) => {
            const watchers = [...kinds[kind]!];
            const watch = { kind, watchers };
            const set: Promise<unknown> =
              kind === 'data'
                ? this.call('get', path, (cb) => this.client.aw_get(path, this.fire, (rc) => cb(rc, 0)), watch)
                : kind === 'child'
                  ? this.call(
                      'get_children',
                      path,
                      (cb) => this.client.aw_get_children(path, this.fire, (rc) => cb(rc, 0)),
                      watch,
                    )
                  : this.call('exists', path, (cb) => this.client.aw_exists(path, this.fire, (rc) => cb(rc, 0)), watch);
            const type = await set.then(
              () =>
                kind === 'data' ? WATCH_EVENT.CHANGED : kind === 'child' ? WATCH_EVENT.CHILD : WATCH_EVENT.CREATED,
              (error) =>
                error instanceof RegistryCenterError && error.rc === NO_NODE ? WATCH_EVENT.DELETED : undefined,
            );
            if (type === WATCH_EVENT.DELETED) {
              // An exists watch on a node still missing is simply set again: nothing happened to it.
              (kind === 'exist' ? [] : watchers).forEach((watcher) => deleted.add(watcher));
            } else if (type !== undefined) {
              watchers.forEach((watcher) => watcher(type, CONNECTED_STATE, path));
            }
          }),
        );
        deleted.forEach((watcher) => watcher(WATCH_EVENT.DELETED, CONNECTED_STATE, path));
      }),
    ).finally(() => {
      this.replaying = false;
      // Owed again meanwhile (the connection dropped during the replay): once connected, go again.
      if (this.isConnected) {
        this.replayWatches();
      }
    });
  }

  private authenticate(resuming = false): Promise<void> {
    if (!this.digest) {
      return Promise.resolve();
    }
    return this.call(
      'add_auth',
      undefined,
      (cb) => this.client.add_auth('digest', this.digest!, (rc) => cb(rc, undefined)),
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
    send: (cb: (rc: number, value: T | undefined) => void) => number,
    watch?: { kind: WatchKind; watchers: Watcher[] },
    whileResuming = false,
  ): Promise<T> {
    const note = (rc: number) => {
      if (watch && path !== undefined && !this.ended) {
        const set = rc === 0 || (watch.kind === 'exist' && rc === NO_NODE);
        const notes = set ? this.watches : NO_CONNECTION.has(rc) ? this.owed : undefined;
        watch.watchers.forEach((watcher) => notes?.add(watch.kind, path, watcher));
      }
    };
    return new Promise<T>((resolve, reject) => {
      runNative(() => {
        if (this.ended) {
          reject(
            new RegistryCenterError(
              `ZooKeeper ${operation}${path ? ` ${path}` : ''} failed: the session is closed`,
              'NOT_CONNECTED',
              path,
            ),
          );
          return;
        }
        if (this.resuming && !whileResuming) {
          note(CONNECTION_LOSS);
          reject(RegistryCenterError.fromResultCode(CONNECTION_LOSS, operation, path));
          return;
        }
        const client = this.client;
        let sent: number;
        const sentAt = Date.now();
        try {
          sent = send((rc, value) => {
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
        if (client === this.client && client.state === NOT_CONNECTED_STATE) {
          this.replaceClient(client);
        }
      });
    });
  }
}

/** The native stat has read-only properties (a slow, large object); caches keep thousands, so copy what we use. */
function compactStat(stat: NodeStat): NodeStat {
  return {
    czxid: stat.czxid,
    mzxid: stat.mzxid,
    // The native client gives Date objects here; numbers are what the interface promises, and far smaller.
    ctime: Number(stat.ctime),
    mtime: Number(stat.mtime),
    version: stat.version,
    ephemeralOwner: stat.ephemeralOwner,
    numChildren: stat.numChildren,
  };
}
