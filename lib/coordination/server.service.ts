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

  constructor(cache: TreeCache, paths: JobNodePath, identity: InstanceIdentity) {
    this.serverPath = paths.server(identity.ip);
    this.enabled = cache.get(this.serverPath) !== SERVER_DISABLED;
    cache.subscribe((event) => {
      if (event.path === this.serverPath) {
        this.enabled = event.type === 'NODE_REMOVED' || event.data !== SERVER_DISABLED;
      }
    });
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
