import { TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';

/**
 * The failover queue changed: an item was queued (`leader/failover/items/{item}`), or another instance gave up its
 * claim of one (`sharding/{item}/failover` went): an idle instance may claim it.
 */
export class FailoverListener implements RegistryEventListener {
  constructor(
    private readonly paths: JobNodePath,
    private readonly executor: { claimFailover(): void },
  ) {}

  onEvent({ type, path }: TreeCacheEvent): void {
    if (
      (type === 'NODE_ADDED' && this.paths.isFailoverEntry(path)) ||
      (type === 'NODE_REMOVED' && this.paths.isFailover(path))
    ) {
      this.executor.claimFailover();
    }
  }
}
