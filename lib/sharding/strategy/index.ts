import { AverageAllocationShardingStrategy } from './average-allocation.strategy';
import { JobShardingStrategy } from '../../interfaces';
import { OdevityShardingStrategy } from './odevity.strategy';
import { RoundRobinShardingStrategy } from './round-robin.strategy';

export type { JobShardingStrategy } from '../../interfaces';
export * from './java-string-hash';
export * from './average-allocation.strategy';
export * from './odevity.strategy';
export * from './round-robin.strategy';

/** One instance of each built-in strategy: `AVG_ALLOCATION`, `ODEVITY`, `ROUND_ROBIN`. */
export const BUILT_IN_SHARDING_STRATEGIES: readonly JobShardingStrategy[] = Object.freeze([
  new AverageAllocationShardingStrategy(),
  new OdevityShardingStrategy(),
  new RoundRobinShardingStrategy(),
]);
