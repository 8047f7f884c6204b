import { TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';
import { ReconcileService } from './reconcile.service';

/** An instance came or went: the leader looks for what instances that are gone left behind (`sweep`). */
export class ReconcileListener implements RegistryEventListener {
  constructor(
    private readonly reconcile: ReconcileService,
    private readonly paths: JobNodePath,
    private readonly ownInstancePath: string,
  ) {}

  onEvent({ path, type }: TreeCacheEvent): void {
    if (type !== 'NODE_UPDATED' && path !== this.ownInstancePath && this.paths.isInstanceNode(path)) {
      this.reconcile.sweep();
    }
  }
}
