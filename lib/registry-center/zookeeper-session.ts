import { EventEmitter } from 'node:events';
import type { NodeData, NodeStat } from './registry-center.interface';
import { RegistryCenterError } from './registry-center.error';

// The `zookeeper` package ships loose typings; this is the part of its callback API we use.
type Watcher = (type: number, state: number, path: string) => void;
interface NativeClient extends EventEmitter {
  init(config: Record<string, unknown>): NativeClient;
  close(): void;
  client_id: string;
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

/** Why a session ended: closed by us, expired, or refused authentication. */
export type SessionEnd = 'CLOSED' | 'EXPIRED' | 'AUTH_FAILED';

/**
 * One ZooKeeper session over the native client: promise operations with typed errors, and events
 * `connected`, `disconnected` and `ended` (with a `SessionEnd`). Paths here are absolute.
 */
export class ZookeeperSession extends EventEmitter {
  private readonly client: NativeClient;
  private connected = false;
  private ended = false;
  /**
   * When the last request that the server answered was sent: the server had heard from this session by then, so it
   * cannot expire the session before this time plus the session timeout. The base of the instance's lease.
   */
  lastContact = 0;

  constructor(
    serverLists: string,
    private readonly requestedTimeout: number,
    private readonly digest?: string,
  ) {
    super();
    this.client = new ZooKeeper({
      connect: serverLists,
      timeout: requestedTimeout,
      debug_level: 0,
      host_order_deterministic: false,
    });
    this.client.on('connect', () => {
      this.connected = true;
      this.emit('connected');
    });
    this.client.on('connecting', () => {
      if (this.connected) {
        this.connected = false;
        this.emit('disconnected');
      }
    });
    // The package's wrapper replaces the close code with itself, so the code cannot be read: a close we did not ask
    // for is the session ending on the server's side (expiry; or a refused authentication, seen as such by open()).
    this.client.on('close', () => {
      this.connected = false;
      if (!this.ended) {
        this.ended = true;
        // Free the native handle too: an expired handle left open keeps reconnecting in the background.
        setImmediate(() => this.client.close());
        this.emit('ended', 'EXPIRED');
      }
    });
    this.client.on('error', () => undefined);
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
      this.client.init({});
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
    const timeout = Number(this.client.timeout);
    return timeout > 0 ? timeout : this.requestedTimeout;
  }

  close(): void {
    if (!this.ended) {
      this.ended = true;
      this.connected = false;
      // Never from inside the native client's own callbacks (this may run in one, through a promise): the package
      // aborts the process if its poll handle is closed while it is processing events.
      setImmediate(() => this.client.close());
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
    return this.call('get', path, (cb) =>
      watcher ? this.client.aw_get(path, watcher, done(cb)) : this.client.a_get(path, false, done(cb)),
    );
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    const done = (cb: (rc: number, value?: string[]) => void) => (rc: number, _e: string, children: string[]) =>
      cb(rc, children ?? []);
    return this.call('get_children', path, (cb) =>
      watcher
        ? this.client.aw_get_children(path, watcher, done(cb))
        : this.client.a_get_children(path, false, done(cb)),
    );
  }

  exists(path: string, watcher?: Watcher): Promise<NodeStat> {
    const done = (cb: (rc: number, value?: NodeStat) => void) => (rc: number, _e: string, stat: NodeStat) =>
      cb(rc, stat);
    return this.call('exists', path, (cb) =>
      watcher ? this.client.aw_exists(path, watcher, done(cb)) : this.client.a_exists(path, false, done(cb)),
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

  private authenticate(): Promise<void> {
    if (!this.digest) {
      return Promise.resolve();
    }
    return this.call('add_auth', undefined, (cb) =>
      this.client.add_auth('digest', this.digest!, (rc) => cb(rc, undefined)),
    );
  }

  private call<T>(
    operation: string,
    path: string | undefined,
    send: (cb: (rc: number, value: T | undefined) => void) => number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
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
      let sent: number;
      const sentAt = Date.now();
      try {
        sent = send((rc, value) => {
          if (!NO_ANSWER.has(rc) && sentAt > this.lastContact) {
            this.lastContact = sentAt;
          }
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
