import { hasCode, RegistryCenter } from '../registry-center';
import { formatTriggerRequests, JobNodePath, parseTriggerRequests, TriggerRequest } from '../storage';

/**
 * Triggers by an operator: `trigger/{instanceId}` for each instance, holding the triggers queued for it (their times,
 * on ZooKeeper's clock, the same for every instance, and their parameters). Each instance takes its node when it runs
 * them; nodes of instances that are gone are cleared by the leader.
 */
export class TriggerService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
  ) {}

  /** Asks each of `instanceIds` to run the job once for its items (with `jobParameter`, when given). */
  async triggerInstances(instanceIds: string[], fireTime: number, jobParameter?: string): Promise<void> {
    const request: TriggerRequest = jobParameter === undefined ? { fireTime } : { fireTime, jobParameter };
    await Promise.all(instanceIds.map((id) => this.append(this.paths.triggerInstance(id), request)));
  }

  /** Clears triggers left for instances that are not registered any more. */
  async removeStale(): Promise<void> {
    const pending = await this.registry.getChildren(this.paths.trigger);
    if (pending.length === 0) {
      return;
    }
    const live = new Set(await this.registry.getChildren(this.paths.instances));
    for (const id of pending.filter((id) => !live.has(id))) {
      await this.registry.remove(this.paths.triggerInstance(id));
    }
  }

  /**
   * Adds a trigger to the node's queue, with a compare-and-set on its version: a trigger written or taken meanwhile
   * is never overwritten (two triggers with different parameters both run).
   */
  private async append(path: string, request: TriggerRequest): Promise<void> {
    for (;;) {
      const node = await this.registry.getNode(path);
      try {
        if (!node) {
          await this.registry.create(path, formatTriggerRequests([request]));
        } else {
          const queued = parseTriggerRequests(node.data, node.stat.ctime);
          await this.registry.update(path, formatTriggerRequests([...queued, request]), node.stat.version);
        }
        return;
      } catch (error) {
        if (!hasCode(error, 'NODE_EXISTS') && !hasCode(error, 'BAD_VERSION') && !hasCode(error, 'NO_NODE')) {
          throw error;
        }
      }
    }
  }
}
