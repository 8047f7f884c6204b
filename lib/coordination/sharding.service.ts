import { TreeCache } from '../registry-center';
import { JobNodePath } from './job-node-path';

/** Which sharding items this instance runs. */
export class ShardingService {
  // Read at every fire: kept until the registry changes an item switch.
  private items?: readonly number[];
  private itemsTotal = 0;

  constructor(
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
  ) {
    const prefix = `${paths.sharding}/`;
    cache.subscribe((event) => {
      if (event.path.startsWith(prefix) && event.path.endsWith('/disabled')) {
        this.items = undefined;
      }
    });
  }

  /** Items of this instance for the next fire, minus items disabled in the registry. Do not modify the result. */
  getLocalShardingItems(shardingTotalCount: number): readonly number[] {
    if (this.items && this.itemsTotal === shardingTotalCount) {
      return this.items;
    }
    const items: number[] = [];
    for (let item = 0; item < shardingTotalCount; item++) {
      if (!this.cache.has(this.paths.disabledItem(item))) {
        items.push(item);
      }
    }
    this.items = items;
    this.itemsTotal = shardingTotalCount;
    return items;
  }
}
