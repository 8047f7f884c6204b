import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ELASTIC_JOB_MODULE_OPTIONS } from './elastic-job.constants';
import { ELASTIC_JOB_EXPORTS, ELASTIC_JOB_PROVIDERS } from './elastic-job.providers';
import { ElasticJobModuleAsyncOptions, ElasticJobModuleOptions, ElasticJobOptionsFactory } from './interfaces';

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
      providers: [{ provide: ELASTIC_JOB_MODULE_OPTIONS, useValue: options }, ...ELASTIC_JOB_PROVIDERS],
      exports: ELASTIC_JOB_EXPORTS,
    };
  }

  /** Registers the module with options built by a factory or a class (for example from `ConfigService`). */
  static forRootAsync(options: ElasticJobModuleAsyncOptions): DynamicModule {
    return {
      global: true,
      module: ElasticJobModule,
      imports: [...(options.imports ?? []), DiscoveryModule],
      providers: [...this.createAsyncProviders(options), ...ELASTIC_JOB_PROVIDERS],
      exports: ELASTIC_JOB_EXPORTS,
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
