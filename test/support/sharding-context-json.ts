/** The keys of the sharding context JSON of script and HTTP jobs, in ElasticJob's order. */
export const CONTEXT_JSON_KEYS = [
  'jobName',
  'taskId',
  'shardingTotalCount',
  'jobParameter',
  'shardingItem',
  'shardingParameter',
];
