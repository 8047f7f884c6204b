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

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    paths: JobNodePath,
    identity: InstanceIdentity,
  ) {
    this.serverPath = paths.server(identity.ip);
    this.enabled = cache.get(this.serverPath) !== SERVER_DISABLED;
    cache.subscribe((event) => {
      if (event.path === this.serverPath) {
        this.enabled = event.type === 'NODE_REMOVED' || event.data !== SERVER_DISABLED;
      }
    });
  }

  async persistOnline(enabled: boolean): Promise<void> {
    await this.registry.persist(this.serverPath, enabled ? SERVER_ENABLED : SERVER_DISABLED);
  }

  /** Whether this server may run the job, from the cache. */
  isEnabled(): boolean {
    return this.enabled;
  }
}
