import type { CachedNodeStat, NodeData, NodeStat, TreeCache, TreeCacheEvent } from './registry-center.interface';
import { hasCode } from './registry-center.error';
import { WATCH_EVENT } from './native-client';
import { logger } from '../elastic-job.logger';

type Watcher = (type: number, state: number, path: string) => void;

/** Reads of one session, with paths relative to the namespace. */
export interface CacheReader {
  getData(path: string, watcher?: Watcher): Promise<NodeData>;
  getChildren(path: string, watcher?: Watcher): Promise<string[]>;
  exists(path: string, watcher?: Watcher): Promise<NodeStat>;
  /** Turns an absolute path from a watch event into a namespace-relative one. */
  relative(absolutePath: string): string;
}

interface CachedNode {
  data: string;
  stat: CachedNodeStat;
  /** Absent for leaves (most nodes), to keep the cache small. */
  children?: string[];
  seen: number;
}

/**
 * Keeps a memory copy of a subtree. Every node holds at most one data watch and one child watch; one watcher
 * function serves the whole cache (the native client keeps what it is given for ever, so closures are not made per
 * watch). After a session expiry the owner calls `load` again with the new session's reader; nodes not seen again
 * are reported removed.
 */
export class ZookeeperTreeCache implements TreeCache {
  private readonly nodes = new Map<string, CachedNode>();
  private readonly listeners = new Set<(event: TreeCacheEvent) => void>();
  private readonly dataArmed = new Set<string>();
  private readonly childArmed = new Set<string>();
  private generation = 0;
  private reader!: CacheReader;
  private watcher!: Watcher;
  private closed = false;

  constructor(
    readonly root: string,
    private readonly onClose: (cache: ZookeeperTreeCache) => void,
  ) {}

  async load(reader: CacheReader): Promise<void> {
    const generation = ++this.generation;
    this.reader = reader;
    this.dataArmed.clear();
    this.childArmed.clear();
    this.watcher = (type, _state, path) => {
      if (generation === this.generation && !this.closed && type !== WATCH_EVENT.SESSION) {
        this.onWatch(type, reader.relative(path)).catch((error) => logger.warn(`Cache ${this.root}: ${error}`));
      }
    };
    await this.loadNode(this.root, generation);
    for (const [path, node] of [...this.nodes]) {
      if (node.seen !== generation && this.nodes.has(path)) {
        this.removeSubtree(path);
      }
    }
  }

  get(path: string): string | undefined {
    return this.nodes.get(path)?.data;
  }

  getStat(path: string): CachedNodeStat | undefined {
    return this.nodes.get(path)?.stat;
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  getChildren(path: string): string[] {
    const node = this.nodes.get(path);
    return node?.children ? [...node.children].sort() : [];
  }

  subscribe(listener: (event: TreeCacheEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.onClose(this);
  }

  private async onWatch(type: number, path: string): Promise<void> {
    if (type === WATCH_EVENT.DELETED) {
      this.dataArmed.delete(path);
      this.childArmed.delete(path);
      this.removeSubtree(path);
      if (path === this.root) {
        await this.loadNode(path, this.generation);
      }
    } else if (type === WATCH_EVENT.CHANGED) {
      this.dataArmed.delete(path);
      await this.refreshData(path);
    } else if (type === WATCH_EVENT.CHILD) {
      this.childArmed.delete(path);
      await this.refreshChildren(path);
    } else if (type === WATCH_EVENT.CREATED) {
      await this.loadNode(path, this.generation);
    }
  }

  private async loadNode(path: string, generation: number): Promise<void> {
    let data: NodeData;
    let children: string[];
    try {
      data = await this.readData(path);
      // An ephemeral node cannot have children: no need to list (and watch) them.
      children = data.stat.ephemeralOwner !== '0' ? [] : await this.readChildren(path);
    } catch (error) {
      if (!hasCode(error, 'NO_NODE')) {
        throw error;
      }
      this.removeSubtree(path);
      if (path === this.root) {
        // Root absent: watch for its creation.
        await this.reader.exists(path, this.watcher).catch(() => undefined);
      }
      return;
    }
    if (generation !== this.generation || this.closed) {
      return;
    }
    const existing = this.nodes.get(path);
    const known = existing?.children ?? NO_CHILDREN;
    this.nodes.set(path, {
      data: intern(data.data),
      stat: { ctime: data.stat.ctime, mzxid: data.stat.mzxid },
      children: children.length > 0 ? children : undefined,
      seen: generation,
    });
    this.linkToParent(path);
    if (!existing) {
      this.emit({ type: 'NODE_ADDED', path, data: data.data });
    } else if (existing.stat.mzxid !== data.stat.mzxid || existing.data !== data.data) {
      this.emit({ type: 'NODE_UPDATED', path, data: data.data });
    }
    for (const gone of known) {
      if (!children.includes(gone)) {
        this.removeSubtree(join(path, gone));
      }
    }
    await Promise.all(children.map((child) => this.loadNode(join(path, child), generation)));
  }

  private async refreshData(path: string): Promise<void> {
    const node = this.nodes.get(path);
    try {
      const data = await this.readData(path);
      const current = this.nodes.get(path);
      if (current && current === node && current.stat.mzxid !== data.stat.mzxid) {
        current.data = intern(data.data);
        current.stat = { ctime: data.stat.ctime, mzxid: data.stat.mzxid };
        this.emit({ type: 'NODE_UPDATED', path, data: data.data });
      }
    } catch (error) {
      if (!hasCode(error, 'NO_NODE')) {
        throw error;
      }
    }
  }

  private async refreshChildren(path: string): Promise<void> {
    let children: string[];
    try {
      children = await this.readChildren(path);
    } catch (error) {
      if (hasCode(error, 'NO_NODE')) {
        return;
      }
      throw error;
    }
    const node = this.nodes.get(path);
    if (!node) {
      return;
    }
    for (const gone of (node.children ?? NO_CHILDREN).filter((child) => !children.includes(child))) {
      this.removeSubtree(join(path, gone));
    }
    const added = children.filter((child) => !this.nodes.has(join(path, child)));
    node.children = children.length > 0 ? children : undefined;
    await Promise.all(added.map((child) => this.loadNode(join(path, child), this.generation)));
  }

  private async readData(path: string): Promise<NodeData> {
    const arm = !this.dataArmed.has(path);
    if (arm) {
      this.dataArmed.add(path);
    }
    try {
      return await this.reader.getData(path, arm ? this.watcher : undefined);
    } catch (error) {
      if (arm) {
        this.dataArmed.delete(path);
      }
      throw error;
    }
  }

  private async readChildren(path: string): Promise<string[]> {
    const arm = !this.childArmed.has(path);
    if (arm) {
      this.childArmed.add(path);
    }
    try {
      return await this.reader.getChildren(path, arm ? this.watcher : undefined);
    } catch (error) {
      if (arm) {
        this.childArmed.delete(path);
      }
      throw error;
    }
  }

  private linkToParent(path: string): void {
    if (path === this.root) {
      return;
    }
    const slash = path.lastIndexOf('/');
    const parent = this.nodes.get(path.slice(0, slash));
    if (parent) {
      const name = path.slice(slash + 1);
      if (!parent.children?.includes(name)) {
        (parent.children ??= []).push(name);
      }
    }
  }

  private removeSubtree(path: string): void {
    const node = this.nodes.get(path);
    if (!node) {
      return;
    }
    for (const child of [...(node.children ?? NO_CHILDREN)]) {
      this.removeSubtree(join(path, child));
    }
    this.nodes.delete(path);
    if (path !== this.root) {
      const slash = path.lastIndexOf('/');
      const parent = this.nodes.get(path.slice(0, slash));
      const index = parent?.children?.indexOf(path.slice(slash + 1)) ?? -1;
      if (index >= 0) {
        parent!.children!.splice(index, 1);
      }
    }
    this.emit({ type: 'NODE_REMOVED', path, data: node.data });
  }

  private emit(event: TreeCacheEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.error(`Cache listener failed on ${event.type} ${event.path}: ${error}`);
      }
    }
  }
}

// Children lists are small arrays (a Set costs several times more per node, and caches hold thousands of nodes).
const NO_CHILDREN: readonly string[] = [];

// Short values repeat across thousands of jobs (instance ids, ENABLED, ''): keep one copy of each.
const INTERNED = new Map<string, string>();
const INTERN_MAX_LENGTH = 64;
function intern(value: string): string {
  if (value.length > INTERN_MAX_LENGTH) {
    return value;
  }
  const known = INTERNED.get(value);
  if (known !== undefined) {
    return known;
  }
  if (INTERNED.size > 10_000) {
    INTERNED.clear();
  }
  INTERNED.set(value, value);
  return value;
}
const join = (parent: string, child: string) => (parent === '/' ? `/${child}` : `${parent}/${child}`);
