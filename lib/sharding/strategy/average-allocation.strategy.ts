import { JobShardingStrategy } from '../../interfaces';

/**
 * ElasticJob's `AVG_ALLOCATION` (the default): with `n` instances, instance `i` gets the contiguous block
 * `i*q .. (i+1)*q - 1` where `q = floor(total / n)`, then the `total % n` remaining items go one each to the first
 * instances. 3 instances and 10 items: `[0,1,2,9] [3,4,5] [6,7,8]`; 8 items: `[0,1,6] [2,3,7] [4,5]`.
 *
 * As in ElasticJob, every instance appears in the result in the given order, including those that get no items
 * (more instances than items: `[]`); no instances gives an empty map. `shardingTotalCount` must be a non-negative
 * integer (0 gives every instance `[]`).
 */
export class AverageAllocationShardingStrategy implements JobShardingStrategy {
  readonly type = 'AVG_ALLOCATION';

  sharding(instances: readonly string[], _jobName: string, shardingTotalCount: number): Map<string, number[]> {
    assertTotal(shardingTotalCount);
    const result = new Map<string, number[]>();
    const n = instances.length;
    if (n === 0) {
      return result;
    }
    const perInstance = Math.floor(shardingTotalCount / n);
    const remainder = shardingTotalCount % n;
    instances.forEach((instance, index) => {
      const items: number[] = [];
      for (let item = index * perInstance; item < (index + 1) * perInstance; item++) {
        items.push(item);
      }
      if (index < remainder) {
        items.push(perInstance * n + index);
      }
      result.set(instance, items);
    });
    return result;
  }
}

function assertTotal(shardingTotalCount: number): void {
  if (!Number.isSafeInteger(shardingTotalCount) || shardingTotalCount < 0) {
    throw new RangeError(`shardingTotalCount must be a non-negative integer, got ${shardingTotalCount}`);
  }
}
