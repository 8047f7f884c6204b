import { Logger } from '@nestjs/common';
import { JobNodePath } from '../storage';
import { LOGGER_CONTEXT } from '../elastic-job.constants';
import { hasCode, RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';

const logger = new Logger(LOGGER_CONTEXT);

/** What the job does when an operator asks. */
export interface TriggerActions {
  /** Run once for this instance's items (queued while busy). */
  trigger(fireTime: number): void;
  /** Stop the job on this instance. */
  shutDown(): void;
  /** Stop the job on this instance without writing to the registry: another live instance uses this instance's id. */
  yieldId(): void;
  isStopping(): boolean;
}

/**
 * What an operator asks of one job on this instance through the registry (as ElasticJob's tools do): a trigger
 * (`trigger/{instanceId}`), and a shutdown (the instance's node removed while its session lives).
 */
export class TriggerListener {
  private readonly instancePath: string;
  private readonly triggerPath: string;
  private taking = false;
  private idYielded = false;
  private takeAgain = false;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
    instanceId: string,
    private readonly actions: TriggerActions,
  ) {
    this.instancePath = paths.instance(instanceId);
    this.triggerPath = paths.triggerInstance(instanceId);
  }

  /** Once the job runs: a trigger written before it started is taken now. */
  start(cache: TreeCache): void {
    if (cache.has(this.triggerPath)) {
      this.onTrigger();
    }
  }

  /** Reacts to an event of the job's cache if it is an operator's; returns whether it was. */
  handles(event: TreeCacheEvent): boolean {
    if (event.path === this.triggerPath) {
      if (event.type !== 'NODE_REMOVED') {
        this.onTrigger();
      }
      return true;
    }
    if (event.path === this.instancePath) {
      this.onInstanceChanged(event.type).catch((error) =>
        logger.warn(`Job "${this.paths.jobName}": shutting the job down failed: ${error}`),
      );
      return true;
    }
    return false;
  }

  /** Removes a trigger left for this instance (it leaves). */
  async clearTrigger(): Promise<void> {
    await this.registry.remove(this.triggerPath);
  }

  /** Takes triggers one at a time; once more if another came meanwhile. */
  private onTrigger(): void {
    if (this.taking) {
      this.takeAgain = true;
      return;
    }
    this.taking = true;
    (async () => {
      do {
        this.takeAgain = false;
        await this.takeTrigger();
      } while (this.takeAgain && !this.actions.isStopping());
    })()
      .catch((error) => logger.warn(`Job "${this.paths.jobName}": could not take its trigger: ${error}`))
      .finally(() => (this.taking = false));
  }

  /**
   * Runs the trigger, then clears its node only if nobody triggered again meanwhile (its version): a trigger written
   * in between is taken as another one.
   */
  private async takeTrigger(): Promise<void> {
    for (;;) {
      const node = await this.registry.getNode(this.triggerPath);
      if (!node || this.actions.isStopping()) {
        return;
      }
      // The operations APIs write ZooKeeper's time of the trigger, the same for every instance; other tools write
      // nothing, and then the node's creation time stands in.
      const written = Number(node.data);
      logger.log(`Job "${this.paths.jobName}": triggered by an operator`);
      this.actions.trigger(written > 0 ? written : node.stat.ctime);
      try {
        await this.registry.remove(this.triggerPath, { version: node.stat.version });
        return;
      } catch (error) {
        if (!hasCode(error, 'BAD_VERSION')) {
          throw error;
        }
      }
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
          `this instance's id "${this.instancePath.slice(this.paths.instances.length + 1)}"; this one stops the job. ` +
          'Give every instance its own instanceId (two containers of one pod share its IP and name: add the container ' +
          'name)',
      );
      this.actions.yieldId();
    }
  }
}
