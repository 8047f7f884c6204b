import { stringify } from 'yaml';
import { RegistryCenter } from '../registry-center';
import { InstanceIdentity } from './instance-identity';
import { JobNodePath } from './job-node-path';

/** The ephemeral `instances/{ip}@-@{pid}` node of this process for one job. */
export class InstanceService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
    private readonly identity: InstanceIdentity,
  ) {}

  async persistOnline(): Promise<void> {
    const data = stringify({ jobInstanceId: this.identity.instanceId, serverIp: this.identity.ip });
    await this.registry.persistEphemeral(this.paths.instance(this.identity.instanceId), data);
  }

  async removeInstance(): Promise<void> {
    await this.registry.remove(this.paths.instance(this.identity.instanceId), { recursive: false });
  }
}
