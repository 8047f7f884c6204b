import type { CreateMode, CreateOutcome, NodeStat, RegistryCenterStats } from './registry-center.interface';
import { hasCode, ignoring } from './registry-center.error';
import { KnownPaths, NamespacePaths, parentOf } from './namespace-paths';
import { isRetryable, RetryPolicy } from './retry-policy';

/** The registry center's own operations that the writes here build on (paths relative to the namespace). */
export interface NodeWriterHost {
  readonly stats: RegistryCenterStats;
  exists(path: string): Promise<boolean>;
  update(path: string, data: string): Promise<NodeStat>;
  getSessionId(): string;
}

/**
 * The registry center's writes that create nodes, with the parents they need: parents known to exist (`KnownPaths`)
 * cost no round trip, and a parent found missing is built again.
 */
export class NodeWriter {
  constructor(
    private readonly host: NodeWriterHost,
    private readonly paths: NamespacePaths,
    private readonly knownPaths: KnownPaths,
    private readonly policy: RetryPolicy,
  ) {}

  async create(path: string, data: string, mode: CreateMode): Promise<string> {
    await this.ensurePath(parentOf(path));
    this.host.stats.writes++;
    const absolute = this.paths.abs(path);
    const created = await this.policy
      .retry((s) => s.create(absolute, data, mode))
      .catch(async (error) => {
        if (hasCode(error, 'NO_NODE')) {
          // A parent vanished (removed concurrently, or a server restarted empty): build it again once.
          this.knownPaths.clear();
          await this.ensurePath(parentOf(path));
          return this.policy.retry((s) => s.create(absolute, data, mode));
        }
        throw error;
      });
    return this.paths.rel(created);
  }

  async persist(path: string, data: string): Promise<void> {
    // A write that fails costs ZooKeeper a transaction as a success does: look first (a read) unless the node is
    // known, so that a new node and an existing one cost one write each.
    const absolute = this.paths.abs(path);
    const known = this.knownPaths.has(absolute) || (await this.host.exists(path));
    if (known) {
      try {
        await this.host.update(path, data);
        this.knownPaths.remember(absolute);
        return;
      } catch (error) {
        if (!hasCode(error, 'NO_NODE')) {
          throw error;
        }
        this.knownPaths.forget(absolute);
      }
    }
    await this.create(path, data, 'PERSISTENT').catch((createError) => {
      if (hasCode(createError, 'NODE_EXISTS')) {
        return this.host.update(path, data);
      }
      throw createError;
    });
    this.knownPaths.remember(absolute);
  }

  async createAndGet(path: string, data: string, mode: CreateMode): Promise<CreateOutcome> {
    // The session is the one current now, at the call: the parents below may take a new one to build.
    const sessionId = this.host.getSessionId();
    await this.ensurePath(parentOf(path));
    const absolute = this.paths.abs(path);
    for (;;) {
      this.host.stats.writes++;
      this.host.stats.reads++;
      // Both requests go out at once: ZooKeeper answers one client's requests in order, so the read sees the create.
      const [created, read] = await this.policy.retryInSession(sessionId, (s) =>
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

  /** Creates `path` and its missing parents (persistent, empty), skipping those known to exist. */
  async ensurePath(path: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    let current = '';
    for (const part of ['', ...parts]) {
      current = part ? `${current}/${part}` : '';
      const absolute = current ? this.paths.abs(current) : this.paths.root;
      if (this.knownPaths.has(absolute)) {
        continue;
      }
      this.host.stats.writes++;
      await this.policy.retry((s) => s.create(absolute, '', 'PERSISTENT')).catch(ignoring('NODE_EXISTS'));
      this.knownPaths.remember(absolute);
    }
  }
}
