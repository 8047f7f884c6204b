/** ElasticJob's builder defaults. */
export const JOB_CONFIGURATION_DEFAULTS = {
  monitorExecution: true,
  failover: false,
  misfire: true,
  maxTimeDiffSeconds: -1,
  reconcileIntervalMinutes: 10,
  jobShardingStrategyType: 'AVG_ALLOCATION',
  jobErrorHandlerType: 'LOG',
  disabled: false,
  overwrite: false,
  staticSharding: false,
} as const;

export const BUILT_IN_SHARDING_STRATEGY_TYPES: readonly string[] = ['AVG_ALLOCATION', 'ODEVITY', 'ROUND_ROBIN'];
export const BUILT_IN_ERROR_HANDLER_TYPES: readonly string[] = [
  'LOG',
  'THROW',
  'IGNORE',
  'DINGTALK',
  'WECHAT',
  'SLACK',
  'WEBHOOK',
  'EMAIL',
];
