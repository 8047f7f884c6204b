import { AverageAllocationShardingStrategy } from './average-allocation.strategy';
import { javaStringHashCode } from './java-string-hash';
import { JobShardingStrategy } from '../../interfaces';

/**
 * ElasticJob's `ODEVITY`: if the Java `hashCode` of the job name is even (zero and negative even values included),
 * the instance list is reversed; if it is odd, it is kept. Then {@link AverageAllocationShardingStrategy}. Spreads
 * the first items of jobs with few items over different instances. Unlike ElasticJob, which reverses the caller's
 * list in place, the given list is never modified.
 */
export class OdevityShardingStrategy implements JobShardingStrategy {
  readonly type = 'ODEVITY';

  private readonly average = new AverageAllocationShardingStrategy();

  sharding(instances: readonly string[], jobName: string, shardingTotalCount: number): Map<string, number[]> {
    const ordered = javaStringHashCode(jobName) % 2 === 0 ? [...instances].reverse() : instances;
    return this.average.sharding(ordered, jobName, shardingTotalCount);
  }
}
