import { stringify } from 'yaml';
import { ignoring, RegistryCenter } from '../registry-center';
import { InstanceIdentity } from './instance-identity';
import { JobNodePath } from '../storage';

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

  /** Removes this instance's node, only if this session wrote it (another live instance may use the same id). */
  async removeInstance(): Promise<void> {
    const path = this.paths.instance(this.identity.instanceId);
    // Not written again after a session renewal either way.
    this.registry.forgetEphemeral(path);
    const node = await this.registry.getNode(path);
    if (node && node.stat.ephemeralOwner === this.registry.getSessionId()) {
      await this.registry.remove(path, { version: node.stat.version }).catch(ignoring('BAD_VERSION', 'NO_NODE'));
    }
  }
}
