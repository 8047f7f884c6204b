import { Provider } from '@nestjs/common';
import { ElasticJobMetadataAccessor } from './elastic-job-metadata.accessor';
import {
  ELASTIC_JOB_KNOWN_TYPES,
  ELASTIC_JOB_METRICS_SOURCES,
  ELASTIC_JOB_REGISTRY_CENTER_FACTORY,
} from './elastic-job.constants';
import { ElasticJobExplorer } from './elastic-job.explorer';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator';
import { JobRegistry } from './elastic-job.registry';
import { InstanceStatusApi } from './elastic-job.status';
import { EventTraceHistoryApi } from './event-trace-history.api';
import { ElasticJobRuntime, RegistryCenterFactory } from './elastic-job.runtime';
import {
  JobConfigurationApi,
  JobOperateApi,
  JobStatisticsApi,
  NamespaceReader,
  ServerStatisticsApi,
  ShardingOperateApi,
  ShardingStatisticsApi,
} from './operations';
import { RegistryCenter, ZookeeperRegistryCenter } from './registry-center';

/** The operations APIs (ElasticJob's lifecycle API), exported by the module. */
export const OPERATIONS_APIS = [
  JobOperateApi,
  JobConfigurationApi,
  JobStatisticsApi,
  ServerStatisticsApi,
  ShardingStatisticsApi,
  ShardingOperateApi,
];

/** The default registry center: ZooKeeper, through the native client (loaded when the first client is made). */
export const createZookeeperRegistryCenter: RegistryCenterFactory = (options) => new ZookeeperRegistryCenter(options);

/**
 * The module's providers besides its options: the runtime (with the registry center built by the factory behind
 * `ELASTIC_JOB_REGISTRY_CENTER_FACTORY`, which a test replaces with `overrideProvider`), the explorer and the
 * orchestrator, the registry of jobs, and the operations APIs over one namespace reader.
 */
export const ELASTIC_JOB_PROVIDERS: Provider[] = [
  { provide: ELASTIC_JOB_REGISTRY_CENTER_FACTORY, useValue: createZookeeperRegistryCenter },
  ElasticJobRuntime,
  ElasticJobMetadataAccessor,
  ElasticJobOrchestrator,
  ElasticJobExplorer,
  JobRegistry,
  {
    provide: RegistryCenter,
    useFactory: (orchestrator: ElasticJobOrchestrator) => orchestrator.registry,
    inject: [ElasticJobOrchestrator],
  },
  {
    provide: ELASTIC_JOB_KNOWN_TYPES,
    useFactory: (orchestrator: ElasticJobOrchestrator) => orchestrator.primary.runtime.knownTypes,
    inject: [ElasticJobOrchestrator],
  },
  {
    provide: ELASTIC_JOB_METRICS_SOURCES,
    useFactory: (orchestrator: ElasticJobOrchestrator) => orchestrator.metricsSources(),
    inject: [ElasticJobOrchestrator],
  },
  NamespaceReader,
  ...OPERATIONS_APIS,
  InstanceStatusApi,
  EventTraceHistoryApi,
];

/** The module's exports (with what `nestjs-elasticjob/metrics` reads of the application). */
export const ELASTIC_JOB_EXPORTS = [
  JobRegistry,
  RegistryCenter,
  ...OPERATIONS_APIS,
  InstanceStatusApi,
  EventTraceHistoryApi,
  ELASTIC_JOB_METRICS_SOURCES,
];
