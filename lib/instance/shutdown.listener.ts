import { RegistryCenter, TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';
import { logger } from '../elastic-job.logger';

/** What the job does when its instance node says it must stop here. */
export interface ShutdownActions {
  /** Stop the job on this instance. */
  shutDown(): void;
  /** Stop the job on this instance without writing to the registry: another live instance uses this instance's id. */
  yieldId(): void;
  isStopping(): boolean;
}

/**
 * This instance's node of one job (`instances/{instanceId}`): removed by an operator while the session lives, the job
 * shuts down here (as ElasticJob's tools do it); written by another session, another instance has this one's id.
 */
export class ShutdownListener implements RegistryEventListener {
  private readonly instancePath: string;
  private idYielded = false;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
    private readonly instanceId: string,
    private readonly actions: ShutdownActions,
  ) {
    this.instancePath = paths.instance(instanceId);
  }

  /** Whether the path is this instance's node (its events are this listener's alone). */
  isOwnNode(path: string): boolean {
    return path === this.instancePath;
  }

  onEvent(event: TreeCacheEvent): void {
    if (event.path === this.instancePath) {
      this.onInstanceChanged(event.type).catch((error) =>
        logger.warn(`Job "${this.paths.jobName}": shutting the job down failed: ${error}`),
      );
    }
  }

  /**
   * This instance's node is gone while its session lives: an operator shut the job down here
   * (`JobOperateApi.shutdown` / `remove`). A node lost with an expired session is re-created before the cache is
   * reloaded, so it is still there when looked up. A node there again, but written by another session, is another
   * live instance with the same id (two containers of one pod, say): both would run the same items, so this one, the
   * older, gives way and says why.
   */
  private async onInstanceChanged(type: TreeCacheEvent['type']): Promise<void> {
    const { registry } = this;
    if (!registry.isConnected() || this.idYielded) {
      return;
    }
    const node = await registry.getNode(this.instancePath);
    if (!node) {
      if (type === 'NODE_REMOVED' && !this.actions.isStopping()) {
        logger.warn(
          `Job "${this.paths.jobName}": shut down on this instance by an operator; restart the application to run it ` +
            'again',
        );
        this.actions.shutDown();
      }
    } else if (node.stat.ephemeralOwner !== registry.getSessionId() && !this.idYielded) {
      // (Also when this instance took the removal for an operator's shutdown: the other's node came a moment later.)
      this.idYielded = true;
      logger.error(
        `Job "${this.paths.jobName}": another instance (ZooKeeper session ${node.stat.ephemeralOwner}) registered with ` +
          `this instance's id "${this.instanceId}"; this one stops the job. ` +
          'Give every instance its own instanceId (two containers of one pod share its IP and name: add the container ' +
          'name)',
      );
      this.actions.yieldId();
    }
  }
}
