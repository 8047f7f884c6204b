import { hasCode, RegistryCenter, TreeCache } from '../registry-center';
import { JobNodePath } from './job-node-path';

/** `sharding/{item}/running` markers, written while items run when `monitorExecution` is on. */
export class ExecutionService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly instanceId: string,
  ) {}

  /**
   * Whether another instance has the item marked running, from the cache. Markers carry the owner's instance id, so a
   * marker of ours that the cache has not yet seen removed is not mistaken for a running item.
   */
  isRunningElsewhere(item: number): boolean {
    const owner = this.cache.get(this.paths.running(item));
    return owner !== undefined && owner !== this.instanceId;
  }

  /**
   * Marks items running before they start, so that other instances and later fires see them. Returns the items
   * marked; an item whose marker belongs to another instance is left out (it is running there).
   */
  async registerStart(items: number[]): Promise<number[]> {
    const claimed = await Promise.all(items.map((item) => this.createRunning(item)));
    return items.filter((_, index) => claimed[index]);
  }

  async registerComplete(items: number[]): Promise<void> {
    await Promise.all(items.map((item) => this.registry.remove(this.paths.running(item), { recursive: false })));
  }

  private async createRunning(item: number): Promise<boolean> {
    const path = this.paths.running(item);
    try {
      await this.registry.create(path, this.instanceId, 'EPHEMERAL');
      return true;
    } catch (error) {
      if (!hasCode(error, 'NODE_EXISTS')) {
        throw error;
      }
    }
    if ((await this.registry.get(path)) !== this.instanceId) {
      return false;
    }
    // Left by an earlier session of this instance (the server has not expired it yet): take it over.
    await this.registry.remove(path, { recursive: false });
    await this.registry.create(path, this.instanceId, 'EPHEMERAL');
    return true;
  }
}
