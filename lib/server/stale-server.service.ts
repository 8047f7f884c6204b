import { ignoring, RegistryCenter, TreeCache } from '../registry-center';
import { ipOf, JobNodePath } from '../storage';
import { SERVER_DISABLED } from './server.service';
import { logger } from '../elastic-job.logger';

// Servers removed in one pass at most, so that a pass after a long outage costs a bounded number of requests.
const MAX_REMOVALS_PER_PASS = 50;

/** How long a server node outlives the last instance of its server, for enabled and for disabled servers. */
export interface ServerRetention {
  readonly enabledMs: number;
  readonly disabledMs: number;
}

/**
 * The leader's clean-up of `servers/{ip}` nodes of one job whose server has had no instance of the job for a while:
 * pods take their IP with them, so every rolling deployment would otherwise leave a node per replaced pod, for ever. A
 * server node goes when no instance of its server is registered (read from ZooKeeper), this leader has seen it without
 * one for the retention, and it was not written for as long (an instance registers its server at every start; an
 * operator's switch writes it too). A disabled server is kept far longer, so that an instance restarting on its IP
 * stays disabled.
 */
export class StaleServerService {
  // Since when this instance has seen each server without an instance (made on first use).
  private absentSince?: Map<string, number>;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly retention: ServerRetention,
  ) {}

  /** Servers without an instance now, from the cache; remembers since when (cheap: no request). */
  private absentServers(now: number): string[] {
    const servers = this.cache.getChildren(this.paths.servers);
    const present = new Set(this.cache.getChildren(this.paths.instances).map(ipOf));
    const absent = servers.filter((ip) => !present.has(ip));
    if (absent.length === 0) {
      this.absentSince = undefined;
      return [];
    }
    const since = (this.absentSince ??= new Map());
    for (const ip of [...since.keys()].filter((ip) => !absent.includes(ip))) {
      since.delete(ip);
    }
    absent.forEach((ip) => since.has(ip) || since.set(ip, now));
    return absent;
  }

  /** How long a server node with this switch outlives the last instance of its server. */
  private retentionOf(status: string | null | undefined): number {
    return status === SERVER_DISABLED ? this.retention.disabledMs : this.retention.enabledMs;
  }

  /** Removes the server nodes that are due; resolves the removed servers' ips. */
  async removeStale(now = Date.now()): Promise<string[]> {
    const due = this.absentServers(now).filter(
      (ip) => now - (this.absentSince?.get(ip) ?? now) >= this.retentionOf(this.cache.get(this.paths.server(ip))),
    );
    if (due.length === 0) {
      return [];
    }
    const live = new Set((await this.registry.getChildren(this.paths.instances)).map(ipOf));
    const removed: string[] = [];
    for (const ip of due.filter((ip) => !live.has(ip)).slice(0, MAX_REMOVALS_PER_PASS)) {
      const node = await this.registry.getNode(this.paths.server(ip));
      if (!node || now - node.stat.mtime < this.retentionOf(node.data)) {
        continue;
      }
      // By version: an instance of the server starting meanwhile writes the node first, and then it stays.
      await this.registry
        .remove(this.paths.server(ip), { version: node.stat.version })
        .then(() => removed.push(ip))
        .catch(ignoring('BAD_VERSION', 'NO_NODE', 'NOT_EMPTY'));
    }
    if (removed.length > 0) {
      logger.log(
        `Job "${this.paths.jobName}": removed server(s) ${removed.join(', ')}: no instance of them for a while`,
      );
    }
    return removed;
  }
}
