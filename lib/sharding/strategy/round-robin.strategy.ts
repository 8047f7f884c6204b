import { AverageAllocationShardingStrategy } from './average-allocation.strategy';
import { javaStringHashCode } from './java-string-hash';
import { JobShardingStrategy } from '../../interfaces';

/**
 * ElasticJob's `ROUND_ROBIN`: the instance list is rotated left by `offset = abs(hashCode(jobName)) % n` (the
 * instance at `offset` comes first), then {@link AverageAllocationShardingStrategy}. No instances gives an empty map.
 *
 * One hash value differs from Java: for `Integer.MIN_VALUE`, Java's `Math.abs` stays negative, the offset is
 * `-(2^31 mod n)`, and ElasticJob's `list.get((i + offset) % n)` throws `IndexOutOfBoundsException` unless `n` is a
 * power of two (offset 0, no rotation). Here the true absolute value 2^31 is used: the same result as Java
 * whenever Java returns one, and a rotation by `2^31 mod n` where Java throws.
 */
export class RoundRobinShardingStrategy implements JobShardingStrategy {
  readonly type = 'ROUND_ROBIN';

  private readonly average = new AverageAllocationShardingStrategy();

  sharding(instances: readonly string[], jobName: string, shardingTotalCount: number): Map<string, number[]> {
    const n = instances.length;
    // In doubles, Math.abs(-2^31) is 2^31: no int32 wrap-around, the remainder is never negative.
    const offset = n === 0 ? 0 : Math.abs(javaStringHashCode(jobName)) % n;
    const rotated = offset === 0 ? instances : [...instances.slice(offset), ...instances.slice(0, offset)];
    return this.average.sharding(rotated, jobName, shardingTotalCount);
  }
}
