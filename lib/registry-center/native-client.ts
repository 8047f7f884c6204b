import type { EventEmitter } from 'node:events';
import type { NodeStat } from './registry-center.interface';

// The `zookeeper` package ships loose typings; this is the part of its callback API we use.
export type Watcher = (type: number, state: number, path: string) => void;
export interface NativeClient extends EventEmitter {
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

type NativeClientClass = new (config: Record<string, unknown>) => NativeClient;

export const WATCH_EVENT = { CREATED: 1, DELETED: 2, CHANGED: 3, CHILD: 4, SESSION: -1 } as const;
export const FLAGS = { PERSISTENT: 0, EPHEMERAL: 1, PERSISTENT_SEQUENTIAL: 2, EPHEMERAL_SEQUENTIAL: 3 } as const;
export const PERM_ALL = 31;

// Result codes that mean no server answered (the request may not have reached it).
export const NO_ANSWER = new Set([-4, -7, -9, -112, -116]);
export const CONNECTION_LOSS = -4;
export const NO_NODE = -101;
// Result codes of a request that did not get through for want of a connection: a watch it was to set is owed.
export const NO_CONNECTION = new Set([CONNECTION_LOSS, -7, -116]);
// ZOO_CONNECTED_STATE, for the events of a replay; ZOO_NOTCONNECTED_STATE, the state the C library leaves when a send
// fails: it has closed the socket on the spot, and told neither the package nor us.
export const CONNECTED_STATE = 3;
export const NOT_CONNECTED_STATE = 999;

let nativeClientClass: NativeClientClass | undefined;

/**
 * The `zookeeper` package's client class, loaded on first use: importing the library does not load the native addon,
 * so a process that opens no session (or only imports the types) never needs it.
 */
export function loadNativeClient(): NativeClientClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (nativeClientClass ??= require('zookeeper') as NativeClientClass);
}

/** A new native client for `config`; `init` starts it. */
export function createNativeClient(config: Record<string, unknown>): NativeClient {
  const NativeClientClass = loadNativeClient();
  return new NativeClientClass(config);
}

/** The native stat has read-only properties (a slow, large object); caches keep thousands, so copy what we use. */
export function compactStat(stat: NodeStat): NodeStat {
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
