import {
  JobConfigurationApi,
  JobOperateApi,
  JobStatisticsApi,
  NamespaceReader,
  ServerStatisticsApi,
  ShardingOperateApi,
  ShardingStatisticsApi,
} from '../operations';
import { RegistryCenter, ZookeeperRegistryCenter } from '../registry-center';
import { GlobalOptions } from './cli.options';

/** The operations APIs on one connection, as a command uses them. */
export interface Apis {
  operate: JobOperateApi;
  config: JobConfigurationApi;
  jobs: JobStatisticsApi;
  servers: ServerStatisticsApi;
  sharding: ShardingStatisticsApi;
  items: ShardingOperateApi;
}

/** The registry center of the namespace the options name: one attempt to connect (no retries), within `--timeout`. */
export function registryOf(options: GlobalOptions): ZookeeperRegistryCenter {
  return new ZookeeperRegistryCenter({
    serverLists: options.zk,
    namespace: options.namespace!,
    digest: options.digest,
    connectionTimeoutMilliseconds: options.timeout,
    maxRetries: 0,
  });
}

/** Every operations API on the connection, all reading the namespace through one reader (as the Nest module does). */
export function createApis(registry: RegistryCenter): Apis {
  const reader = new NamespaceReader(registry);
  return {
    operate: new JobOperateApi(reader),
    config: new JobConfigurationApi(reader),
    jobs: new JobStatisticsApi(reader),
    servers: new ServerStatisticsApi(reader),
    sharding: new ShardingStatisticsApi(reader),
    items: new ShardingOperateApi(reader),
  };
}
