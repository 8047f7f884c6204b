/** How a node is created. */
export type CreateMode = 'PERSISTENT' | 'EPHEMERAL' | 'PERSISTENT_SEQUENTIAL' | 'EPHEMERAL_SEQUENTIAL';

/** ZooKeeper's node metadata. */
export interface NodeStat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  ephemeralOwner: string;
  numChildren: number;
}

/** The part of a node's metadata a tree cache keeps (thousands of nodes: no more than needed). */
export type CachedNodeStat = Pick<NodeStat, 'ctime' | 'mzxid'>;

/** A node's data with its metadata. */
export interface NodeData {
  data: string;
  stat: NodeStat;
}

/**
 * `CONNECTED`: first session up. `SUSPENDED`: connection lost, session may still be alive. `RECONNECTED`: connection
 * back (`newSession` tells whether the old session expired and a fresh one replaced it). `LOST`: the session expired.
 */
export type ConnectionState = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST';

export interface ConnectionStateEvent {
  state: ConnectionState;
  newSession: boolean;
  sessionId: string;
}

/** What `createAndGet` found: whether this call created the node, and the node as read right after. */
export interface CreateOutcome {
  created: boolean;
  node: NodeData | null;
}

/** A change seen by a tree cache. */
export interface TreeCacheEvent {
  type: 'NODE_ADDED' | 'NODE_UPDATED' | 'NODE_REMOVED';
  path: string;
  data: string | undefined;
}

/** A memory copy of one subtree, kept current by watches, so the hot path reads memory, not the network. */
export interface TreeCache {
  readonly root: string;
  /** Data of a node, or `undefined` when it does not exist (as far as the cache knows). */
  get(path: string): string | undefined;
  /** What the cache keeps of a node's metadata (its creation time and last-modified zxid), or `undefined`. */
  getStat(path: string): CachedNodeStat | undefined;
  has(path: string): boolean;
  /** Names of a node's children, sorted. */
  getChildren(path: string): string[];
  /** Calls `listener` for every change; returns a function that removes it. */
  subscribe(listener: (event: TreeCacheEvent) => void): () => void;
  close(): void;
}

/** Counters of the operations sent to the registry, for benchmarks and diagnostics. */
export interface RegistryCenterStats {
  reads: number;
  writes: number;
}

/**
 * The registry center that every coordination service uses; paths are relative to the namespace (`/job/config`).
 * It is an abstract class so that it serves as the injection token.
 */
export abstract class RegistryCenter {
  abstract readonly namespace: string;
  abstract readonly stats: RegistryCenterStats;
  abstract connect(): Promise<void>;
  abstract close(): Promise<void>;
  abstract isConnected(): boolean;
  abstract getSessionId(): string;
  /** Data of a node, or `null` when it does not exist. */
  abstract get(path: string): Promise<string | null>;
  abstract getNode(path: string): Promise<NodeData | null>;
  abstract exists(path: string): Promise<boolean>;
  /** Children names, sorted; `[]` when the node does not exist. */
  abstract getChildren(path: string): Promise<string[]>;
  /** Creates a node and any missing parents (persistent, empty); returns the created path. Fails on `NODE_EXISTS`. */
  abstract create(path: string, data?: string, mode?: CreateMode): Promise<string>;
  /** Creates or overwrites a persistent node. */
  abstract persist(path: string, data?: string): Promise<void>;
  /** Creates or replaces an ephemeral node; it is re-created with the same data after a session expiry. */
  abstract persistEphemeral(path: string, data?: string): Promise<NodeStat>;
  /** Stops re-creating `path` (written by `persistEphemeral`) when a new session replaces an expired one. */
  abstract forgetEphemeral(path: string): void;
  /** Sets a node's data; with `version`, only if the node is at that version (`BAD_VERSION` otherwise). */
  abstract update(path: string, data: string, version?: number): Promise<NodeStat>;
  /**
   * Removes a node (with its subtree when `recursive`; not by default); a missing node is not an error. With `sessionId`
   * (not recursive), only while that session lasts: `SESSION_CHANGED` after it expired.
   */
  abstract remove(path: string, options?: { recursive?: boolean; version?: number; sessionId?: string }): Promise<void>;
  /**
   * Creates a node and reads it back in one round trip; when it exists already, reads the existing one. For claims
   * whose zxid matters (fencing tokens) or whose owner must be known when the claim fails. Runs only in the session
   * current when called (`SESSION_CHANGED` if it expires meanwhile): a claim never lands in another session.
   */
  abstract createAndGet(path: string, data: string, mode?: CreateMode): Promise<CreateOutcome>;
  /**
   * Whether this instance holds its lease: ZooKeeper answered recently enough that the session cannot have expired
   * and no other instance can have taken this instance's items.
   */
  abstract hasLease(): boolean;
  /** The session timeout the server granted, in milliseconds (the one asked for until connected). */
  abstract readonly sessionTimeout: number;
  /** Calls `listener` when the lease is lost (`false`) or regained (`true`); returns a function that removes it. */
  abstract onLease(listener: (held: boolean) => void): () => void;
  /** A cache of the subtree under `path`, loaded before it resolves and rebuilt after a session expiry. */
  abstract cache(path: string): Promise<TreeCache>;
  /** Calls `listener` on every connection-state change; returns a function that removes it. */
  abstract onConnectionState(listener: (event: ConnectionStateEvent) => void): () => void;
}
