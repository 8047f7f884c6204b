import { TreeCache } from '../registry-center';
import { JobNodePath } from '../storage';
import { ReconcileService } from './reconcile.service';

/** An instance came or went: the leader looks for what instances that are gone left behind (`sweep`). */
export class ReconcileListener {
  constructor(
    private readonly reconcile: ReconcileService,
    private readonly paths: JobNodePath,
    private readonly ownInstancePath: string,
  ) {}

  /** Follows the job's cache; returns a function that stops. */
  listen(cache: TreeCache): () => void {
    return cache.subscribe(({ path, type }) => {
      if (type !== 'NODE_UPDATED' && path !== this.ownInstancePath && this.paths.isInstanceNode(path)) {
        this.reconcile.sweep();
      }
    });
  }
}
