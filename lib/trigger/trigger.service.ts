import { RegistryCenter } from '../registry-center';
import { JobNodePath } from '../storage';

/**
 * Triggers by an operator: `trigger/{instanceId}` for each instance, holding the trigger's time (ZooKeeper's clock, the
 * same on every instance). Each instance clears its own node when it takes the trigger; nodes of instances that are
 * gone are cleared by the leader.
 */
export class TriggerService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
  ) {}

  /** Asks each of `instanceIds` to run the job once for its items. */
  async triggerInstances(instanceIds: string[], fireTime: number): Promise<void> {
    await Promise.all(instanceIds.map((id) => this.registry.persist(this.paths.triggerInstance(id), String(fireTime))));
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
}
