import { TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';

/** What the job does when a run ends anywhere. */
export interface ExecutionActions {
  /** The item's missed fires may run now. */
  runMisfire(item: number): void;
  /** A failover run may start now. */
  claimFailover(): void;
}

/**
 * An item's `running` marker went (its run ended, here or on another instance): a fire it missed meanwhile may run
 * now, and so may a failover run that waited for it.
 */
export class ExecutionListener implements RegistryEventListener {
  constructor(
    private readonly paths: JobNodePath,
    private readonly actions: ExecutionActions,
  ) {}

  onEvent(event: TreeCacheEvent): void {
    const item = event.type === 'NODE_REMOVED' ? this.paths.runningItemOf(event.path) : undefined;
    if (item !== undefined) {
      this.actions.runMisfire(item);
      this.actions.claimFailover();
    }
  }
}
