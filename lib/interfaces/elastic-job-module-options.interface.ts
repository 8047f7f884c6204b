import { ModuleMetadata, Type } from '@nestjs/common';
import { ConfiguredJobType, JobConfiguration } from './job-configuration.interface';
import { JobErrorHandler } from './job-error-handler.interface';
import type { MetricsOptions, TracingOptions } from './observability-options.interface';
import type { JobShardingStrategy } from './job-sharding-strategy.interface';

/** Connection to the ZooKeeper ensemble (ElasticJob's `ZookeeperConfiguration`). */
export interface RegistryCenterOptions {
  /** Comma-separated `host:port` list. Required. */
  serverLists: string;
  /** Root node under which all jobs live. Required. */
  namespace: string;
  /** Session timeout negotiated with ZooKeeper. Default: `60000`. */
  sessionTimeoutMilliseconds?: number;
  /** How long one connection attempt may take. Default: `15000`. */
  connectionTimeoutMilliseconds?: number;
  /** Digest credentials `user:password`; nodes created are then readable and writable by these only. Default: none. */
  digest?: string;
  /** First back-off between retries. Default: `1000`. */
  baseSleepTimeMilliseconds?: number;
  /** Largest back-off between retries. Default: `3000`. */
  maxSleepTimeMilliseconds?: number;
  /** Retries of a failed connection or operation. Default: `3`. */
  maxRetries?: number;
}

/**
 * An entry of `ElasticJobModuleOptions.jobs`, keyed by job name: overrides of a decorated job's configuration, or,
 * with `elasticJobType`, a script or HTTP job declared by configuration alone. Values read from the environment may
 * be strings: `"3"` for a number, `"true"`/`"false"` for a flag, `"a,b"` for `jobListenerTypes`.
 */
export type JobOverride = Partial<Omit<JobConfiguration, 'name'>> & {
  /** `SCRIPT` or `HTTP`: declares a job of that type (no decorated method may have this name). */
  elasticJobType?: ConfiguredJobType;
};

/** Options of `ElasticJobModule.forRoot`. */
export interface ElasticJobModuleOptions {
  /** The ZooKeeper registry center. Required. */
  registryCenter: RegistryCenterOptions;
  /**
   * By job name: overrides of decorated jobs (cron, shardingTotalCount, disabled, ...), and script and HTTP jobs
   * declared by configuration (`elasticJobType`). Default: none.
   */
  jobs?: Record<string, JobOverride>;
  /** Custom error handlers, selected by their `type` in `jobErrorHandlerType`. Default: none. */
  errorHandlers?: JobErrorHandler[];
  /** Custom sharding strategies, selected by their `type` in `jobShardingStrategyType`. Default: none. */
  shardingStrategies?: JobShardingStrategy[];
  /** Override of this instance's id (default `{ip}@-@{pid}`); its part before `@-@` is the server ip. */
  instanceId?: string;
  /** How long shutdown waits for running items before aborting their `signal`. Default: `10000`. */
  shutdownGracePeriodMilliseconds?: number;
  /**
   * How long a job's `servers/{ip}` node stays after the last instance of that server left (pods take their IP with
   * them); the leader then removes it. Default: `600000` (10 minutes).
   */
  staleServerGraceMilliseconds?: number;
  /**
   * The same for a server an operator disabled, kept longer so that an instance restarting on its IP stays disabled.
   * Default: `604800000` (7 days).
   */
  disabledServerGraceMilliseconds?: number;
  /** Execution history in PostgreSQL, in ElasticJob's tables (`pg` must be installed). Default: off. */
  tracing?: TracingOptions;
  /** Prometheus metrics (`prom-client` must be installed): `true` for its default registry. Default: off. */
  metrics?: boolean | MetricsOptions;
}

/** A class that builds the module options (`forRootAsync({ useClass })`). */
export interface ElasticJobOptionsFactory {
  createElasticJobOptions(): Promise<ElasticJobModuleOptions> | ElasticJobModuleOptions;
}

/** Options of `ElasticJobModule.forRootAsync`. */
export interface ElasticJobModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Providers to inject into `useFactory`. */
  inject?: any[];
  /** Builds the options. */
  useFactory?: (...args: any[]) => Promise<ElasticJobModuleOptions> | ElasticJobModuleOptions;
  /** A class implementing `ElasticJobOptionsFactory`, instantiated by the module. */
  useClass?: Type<ElasticJobOptionsFactory>;
  /** An existing provider implementing `ElasticJobOptionsFactory`. */
  useExisting?: Type<ElasticJobOptionsFactory>;
}
