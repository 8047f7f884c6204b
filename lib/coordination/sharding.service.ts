import { TreeCache } from '../registry-center';
import { JobNodePath } from './job-node-path';

/** Which sharding items this instance runs. */
export class ShardingService {
  constructor(
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
  ) {}

  /** Items of this instance for the next fire, minus items disabled in the registry. */
  getLocalShardingItems(shardingTotalCount: number): number[] {
    const items: number[] = [];
    for (let item = 0; item < shardingTotalCount; item++) {
      if (!this.cache.has(this.paths.disabledItem(item))) {
        items.push(item);
      }
    }
    return items;
  }
}
