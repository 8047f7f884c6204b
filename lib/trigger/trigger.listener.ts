import { JobNodePath, RegistryEventListener } from '../storage';
import { hasCode, RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import { logger } from '../elastic-job.logger';

/** What the job does when an operator triggers it. */
export interface TriggerActions {
  /** Run once for this instance's items (queued while busy). */
  trigger(fireTime: number): void;
  isStopping(): boolean;
}

/**
 * An operator's trigger of one job on this instance through the registry (as ElasticJob's tools do):
 * `trigger/{instanceId}`, taken once and removed.
 */
export class TriggerListener implements RegistryEventListener {
  private readonly triggerPath: string;
  private taking = false;
  private takeAgain = false;

  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
    instanceId: string,
    private readonly actions: TriggerActions,
  ) {
    this.triggerPath = paths.triggerInstance(instanceId);
  }

  onEvent(event: TreeCacheEvent): void {
    if (event.path === this.triggerPath && event.type !== 'NODE_REMOVED') {
      this.onTrigger();
    }
  }

  /** Once the job runs: a trigger written before it started is taken now. */
  takePending(cache: TreeCache): void {
    if (cache.has(this.triggerPath)) {
      this.onTrigger();
    }
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
}
