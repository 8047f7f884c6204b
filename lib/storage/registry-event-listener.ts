import type { TreeCacheEvent } from '../registry-center';

/**
 * A room's listener of one job's registry events: the job's scheduler hands it every event of the job's cache, in a
 * fixed order of rooms (one subscription per job, whatever the number of rooms).
 */
export interface RegistryEventListener {
  onEvent(event: TreeCacheEvent): void;
}
