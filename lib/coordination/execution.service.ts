import { hasCode, RegistryCenter, TreeCache } from '../registry-center';
import { JobNodePath } from './job-node-path';

/** `sharding/{item}/running` markers, written while items run when `monitorExecution` is on. */
export class ExecutionService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
  ) {}

  /** Whether any instance has the item marked running, from the cache. */
  isRunning(item: number): boolean {
    return this.cache.has(this.paths.running(item));
  }

  /** Marks items running before they start, so that other instances and later fires see them. */
  async registerStart(items: number[]): Promise<void> {
    await Promise.all(items.map((item) => this.createRunning(item)));
  }

  async registerComplete(items: number[]): Promise<void> {
    await Promise.all(items.map((item) => this.registry.remove(this.paths.running(item), { recursive: false })));
  }

  private async createRunning(item: number): Promise<void> {
    const path = this.paths.running(item);
    try {
      await this.registry.create(path, '', 'EPHEMERAL');
    } catch (error) {
      if (!hasCode(error, 'NODE_EXISTS')) {
        throw error;
      }
      // Left by a previous session of this process; the item is ours now.
      await this.registry.remove(path, { recursive: false });
      await this.registry.create(path, '', 'EPHEMERAL');
    }
  }
}
