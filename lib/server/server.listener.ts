import { inBackground, logger } from '../elastic-job.logger';
import { LeaderService } from '../election';
import { InstanceIdentity } from '../instance';
import { ResolvedJobConfiguration } from '../interfaces';
import { RegistryCenter, TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';
import { ServerService } from './server.service';
import { ServerRetention, StaleServerService } from './stale-server.service';

// How often the application looks (`lookForStaleServers`): about every minute.
const HOUSEKEEPING_LOOK_MS = 60_000;

/**
 * This job's server nodes: the server's switch follows the configuration's `disabled` (as a start with it would),
 * and the leader removes the nodes of servers that have had no instance for the retention (`StaleServerService`),
 * every minute and, for a shorter retention, when it ends after an instance left.
 */
export class ServerListener implements RegistryEventListener {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
    private readonly identity: InstanceIdentity,
    private readonly leader: LeaderService,
    private readonly staleServers: StaleServerService,
    private readonly retention: ServerRetention,
    private readonly job: { isStopping(): boolean },
  ) {}

  onEvent({ path, type }: TreeCacheEvent): void {
    if (
      type === 'NODE_REMOVED' &&
      this.paths.isInstanceNode(path) &&
      this.paths.instanceIdOf(path) !== this.identity.instanceId
    ) {
      this.lookWhenServersMayGo();
    }
  }

  /** A configuration change: the server's switch follows `disabled` (and the election and resharding the switch). */
  onConfigChange(config: ResolvedJobConfiguration, previous: ResolvedJobConfiguration): void {
    if (config.disabled !== previous.disabled) {
      ServerService.register(this.registry, this.paths, this.identity, !config.disabled).catch((error) =>
        logger.warn(`Job "${this.paths.jobName}": could not switch its server: ${error}`),
      );
    }
  }

  /** The leader's look for server nodes whose servers have had no instance for the retention (no request if none). */
  lookForStaleServers(): void {
    if (!this.job.isStopping() && this.leader.isLeader()) {
      inBackground(this.staleServers.removeStale(), this.paths.jobName, 'removing stale servers');
    }
  }

  /** An instance left: a retention shorter than the minute's look is looked at when it ends. */
  private lookWhenServersMayGo(): void {
    const retention = this.retention.enabledMs;
    if (retention < HOUSEKEEPING_LOOK_MS) {
      setTimeout(() => this.lookForStaleServers(), retention + 100).unref();
    }
  }
}
