import { JobNodePath, parseTriggerRequests, RegistryEventListener } from '../storage';
import { hasCode, RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import { logger } from '../elastic-job.logger';

/** What the job does when an operator triggers it. */
export interface TriggerActions {
  /** Run once for this instance's items (queued while busy); `jobParameter`: that run's, else the configured one. */
  trigger(fireTime: number, jobParameter?: string): void;
  isStopping(): boolean;
}

/**
 * An operator's trigger of one job on this instance through the registry (as ElasticJob's tools do):
 * `trigger/{instanceId}`, taken once and removed; it may hold several triggers, each with its parameter.
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
   * Takes the node (removed at the version read: a trigger written in between makes the removal fail, and the node is
   * read again with it), then runs each trigger it held, in order.
   */
  private async takeTrigger(): Promise<void> {
    for (;;) {
      const node = await this.registry.getNode(this.triggerPath);
      if (!node || this.actions.isStopping()) {
        return;
      }
      try {
        await this.registry.remove(this.triggerPath, { version: node.stat.version });
      } catch (error) {
        if (hasCode(error, 'BAD_VERSION')) {
          continue;
        }
        if (hasCode(error, 'NO_NODE')) {
          return;
        }
        throw error;
      }
      for (const { fireTime, jobParameter } of parseTriggerRequests(node.data, node.stat.ctime)) {
        logger.log(
          `Job "${this.paths.jobName}": triggered by an operator${
            jobParameter === undefined ? '' : ` with jobParameter ${JSON.stringify(jobParameter)}`
          }`,
        );
        this.actions.trigger(fireTime, jobParameter);
      }
      return;
    }
  }
}
