import type { RegistryCenterStats } from './registry-center.interface';
import type { CacheReader } from './zookeeper-tree-cache';
import type { ZookeeperSession } from './zookeeper-session';

/** The parent of a namespace-relative path (`/` for a top-level node). */
export const parentOf = (path: string) => path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || '/';

/** Turns namespace-relative paths (`/job/config`) into absolute ones (`/namespace/job/config`) and back. */
export class NamespacePaths {
  /** The namespace's own node. */
  readonly root: string;

  constructor(namespace: string) {
    this.root = `/${namespace}`;
  }

  abs(path: string): string {
    return path === '/' ? this.root : `${this.root}${path}`;
  }

  rel(absolute: string): string {
    const prefix = this.root;
    return absolute === prefix ? '/' : absolute.startsWith(`${prefix}/`) ? absolute.slice(prefix.length) : absolute;
  }

  /** The reads of `session` with namespace-relative paths, for a tree cache; data and child reads are counted. */
  readerOf(session: ZookeeperSession, stats: RegistryCenterStats): CacheReader {
    return {
      getData: (path, watcher) => {
        stats.reads++;
        return session.getData(this.abs(path), watcher);
      },
      getChildren: (path, watcher) => {
        stats.reads++;
        return session.getChildren(this.abs(path), watcher);
      },
      exists: (path, watcher) => session.exists(this.abs(path), watcher),
      relative: (absolute) => this.rel(absolute),
    };
  }
}

/**
 * Absolute paths known to have existed, so that creating under them costs no extra round trip. A stale entry (removed
 * since) is found out by the NO_NODE of the create, which then clears this set and builds the parents again.
 */
export class KnownPaths {
  private readonly paths = new Set<string>();

  has(path: string): boolean {
    return this.paths.has(path);
  }

  remember(path: string): void {
    if (this.paths.size > 1_000_000) {
      this.paths.clear();
    }
    this.paths.add(path);
  }

  forget(path: string): void {
    this.paths.delete(path);
  }

  clear(): void {
    this.paths.clear();
  }
}
