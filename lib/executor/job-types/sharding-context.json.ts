import type { ShardingContext } from '../../interfaces';

/**
 * An item's sharding context as ElasticJob's script and HTTP jobs pass it (its Gson output: these keys, in this order):
 * a script's last argument, an HTTP job's `shardingContext` header.
 */
export function shardingContextJson(context: ShardingContext): string {
  const { jobName, taskId, shardingTotalCount, jobParameter, shardingItem, shardingParameter } = context;
  return JSON.stringify({ jobName, taskId, shardingTotalCount, jobParameter, shardingItem, shardingParameter });
}
