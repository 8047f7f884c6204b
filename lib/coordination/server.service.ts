import { RegistryCenter, TreeCache } from '../registry-center';
import { InstanceIdentity } from './instance-identity';
import { JobNodePath } from './job-node-path';

export const SERVER_ENABLED = 'ENABLED';
export const SERVER_DISABLED = 'DISABLED';

/** The `servers/{ip}` switch of a job. */
export class ServerService {
  private readonly serverPath: string;
  // Read at every fire: kept in step with the cache instead of looked up.
  private enabled: boolean;
  // When this instance saw the switch turned off last, 0 if it started so.
  private disabledAt = 0;

  constructor(cache: TreeCache, paths: JobNodePath, identity: InstanceIdentity) {
    this.serverPath = paths.server(identity.ip);
    this.enabled = cache.get(this.serverPath) !== SERVER_DISABLED;
    cache.subscribe((event) => {
      if (event.path === this.serverPath) {
        const enabled = event.type === 'NODE_REMOVED' || event.data !== SERVER_DISABLED;
        if (this.enabled && !enabled) {
          this.disabledAt = Date.now();
        }
        this.enabled = enabled;
      }
    });
  }

  /** Whether the server was switched off after `time` (and is off). */
  disabledSince(time: number): boolean {
    return !this.enabled && this.disabledAt > time;
  }

  /** Registers this server for the job, `ENABLED` or `DISABLED` (as ElasticJob does at every start). */
  static async register(registry: RegistryCenter, paths: JobNodePath, identity: InstanceIdentity, enabled: boolean) {
    await registry.persist(paths.server(identity.ip), enabled ? SERVER_ENABLED : SERVER_DISABLED);
  }

  /** Whether this server may run the job, from the cache. */
  isEnabled(): boolean {
    return this.enabled;
  }
}
