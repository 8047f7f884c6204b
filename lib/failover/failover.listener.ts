import { TreeCache, TreeCacheEvent } from '../registry-center';
import { JobNodePath } from '../storage';

/**
 * The failover queue changed: an item was queued (`leader/failover/items/{item}`), or another instance gave up its
 * claim of one (`sharding/{item}/failover` went): an idle instance may claim it.
 */
export class FailoverListener {
  constructor(
    private readonly paths: JobNodePath,
    private readonly claimFailover: () => void,
  ) {}

  /** Follows the job's cache; returns a function that stops. */
  listen(cache: TreeCache): () => void {
    return cache.subscribe((event) => {
      if (this.isClaimable(event)) {
        this.claimFailover();
      }
    });
  }

  private isClaimable({ type, path }: TreeCacheEvent): boolean {
    return (
      (type === 'NODE_ADDED' && this.paths.isFailoverEntry(path)) ||
      (type === 'NODE_REMOVED' && this.paths.isFailover(path))
    );
  }
}
