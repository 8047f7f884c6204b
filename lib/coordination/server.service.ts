import { RegistryCenter, TreeCache } from '../registry-center';
import { InstanceIdentity } from './instance-identity';
import { JobNodePath } from './job-node-path';

export const SERVER_ENABLED = 'ENABLED';
export const SERVER_DISABLED = 'DISABLED';

/** The `servers/{ip}` switch of a job. */
export class ServerService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly identity: InstanceIdentity,
  ) {}

  async persistOnline(enabled: boolean): Promise<void> {
    await this.registry.persist(this.paths.server(this.identity.ip), enabled ? SERVER_ENABLED : SERVER_DISABLED);
  }

  /** Whether this server may run the job, from the cache. */
  isEnabled(): boolean {
    return this.cache.get(this.paths.server(this.identity.ip)) !== SERVER_DISABLED;
  }
}
