export * from './decorators';
export * from './interfaces';
export {
  ElasticJobError,
  HttpJobError,
  JobConfigurationError,
  JobOperationError,
  ModuleOptionsError,
  ScriptJobError,
} from './errors';
export { ElasticJobModule } from './elastic-job.module';
export { ELASTIC_JOB_REGISTRY_CENTER_FACTORY } from './elastic-job.constants';
export type { RegistryCenterFactory } from './elastic-job.runtime';
export type { JobShardingStrategy } from './sharding';
export { JobRegistry } from './elastic-job.registry';
export { InstanceStatusApi } from './elastic-job.status';
export { EventTraceHistoryApi } from './event-trace-history.api';
export { DistributeOnceJobListener } from './listeners';
export type { DistributeOnceJobListenerOptions } from './listeners';
export {
  JobConfigurationApi,
  JobOperateApi,
  JobStatisticsApi,
  ServerStatisticsApi,
  ShardingOperateApi,
  ShardingStatisticsApi,
} from './operations';
export type { RegisteredJob } from './elastic-job.registry';
export type { TriggerOptions } from './operations';
export { RegistryCenter, RegistryCenterError, ZookeeperRegistryCenter } from './registry-center';
export type {
  CachedNodeStat,
  ConnectionState,
  ConnectionStateEvent,
  CreateMode,
  NodeData,
  NodeStat,
  RegistryCenterStats,
  TreeCache,
  TreeCacheEvent,
} from './registry-center';
