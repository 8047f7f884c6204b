import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ElasticJobMetadataAccessor } from './elastic-job-metadata.accessor';
import { ELASTIC_JOB_KNOWN_TYPES, ELASTIC_JOB_MODULE_OPTIONS } from './elastic-job.constants';
import { ElasticJobExplorer } from './elastic-job.explorer';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator';
import { JobRegistry } from './elastic-job.registry';
import { ElasticJobModuleAsyncOptions, ElasticJobModuleOptions, ElasticJobOptionsFactory } from './interfaces';
import {
  JobConfigurationApi,
  JobOperateApi,
  JobStatisticsApi,
  ServerStatisticsApi,
  ShardingOperateApi,
  ShardingStatisticsApi,
} from './operations';
import { RegistryCenter } from './registry-center';

const OPERATIONS_APIS = [
  JobOperateApi,
  JobConfigurationApi,
  JobStatisticsApi,
  ServerStatisticsApi,
  ShardingStatisticsApi,
  ShardingOperateApi,
];

const CORE_PROVIDERS: Provider[] = [
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
    useFactory: (orchestrator: ElasticJobOrchestrator) => orchestrator.primary.knownTypes,
    inject: [ElasticJobOrchestrator],
  },
  ...OPERATIONS_APIS,
];
const EXPORTS = [JobRegistry, RegistryCenter, ...OPERATIONS_APIS];

/**
 * Distributed, sharded job scheduling coordinated through ZooKeeper. Import it once, in the root module:
 *
 * ```ts
 * ElasticJobModule.forRoot({ registryCenter: { serverLists: '127.0.0.1:2181', namespace: 'order-service' } })
 * ```
 */
@Module({})
export class ElasticJobModule {
  /** Registers the module with static options. */
  static forRoot(options: ElasticJobModuleOptions): DynamicModule {
    return {
      global: true,
      module: ElasticJobModule,
      imports: [DiscoveryModule],
      providers: [{ provide: ELASTIC_JOB_MODULE_OPTIONS, useValue: options }, ...CORE_PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** Registers the module with options built by a factory or a class (for example from `ConfigService`). */
  static forRootAsync(options: ElasticJobModuleAsyncOptions): DynamicModule {
    return {
      global: true,
      module: ElasticJobModule,
      imports: [...(options.imports ?? []), DiscoveryModule],
      providers: [...this.createAsyncProviders(options), ...CORE_PROVIDERS],
      exports: EXPORTS,
    };
  }

  private static createAsyncProviders(options: ElasticJobModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [{ provide: ELASTIC_JOB_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
    }
    const factoryClass = options.useClass ?? options.useExisting;
    if (!factoryClass) {
      throw new Error('ElasticJobModule.forRootAsync: one of useFactory, useClass or useExisting is required');
    }
    const optionsProvider: Provider = {
      provide: ELASTIC_JOB_MODULE_OPTIONS,
      useFactory: (factory: ElasticJobOptionsFactory) => factory.createElasticJobOptions(),
      inject: [factoryClass],
    };
    return options.useClass
      ? [optionsProvider, { provide: options.useClass, useClass: options.useClass }]
      : [optionsProvider];
  }
}
