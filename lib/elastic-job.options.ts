import { ModuleOptionsError } from './errors';
import { invalidModuleOption } from './elastic-job.messages';
import { ElasticJobModuleOptions } from './interfaces';
import { REGISTRY_CENTER_DEFAULTS } from './registry-center';

/** Default of `shutdownGracePeriodMilliseconds`. */
export const DEFAULT_SHUTDOWN_GRACE_PERIOD_MS = 10_000;
/** Defaults of `staleServerGraceMilliseconds` and `disabledServerGraceMilliseconds`. */
export const DEFAULT_STALE_SERVER_GRACE_MS = 10 * 60_000;
export const DEFAULT_DISABLED_SERVER_GRACE_MS = 7 * 24 * 3_600_000;

export type ResolvedModuleOptions = ElasticJobModuleOptions &
  Required<
    Pick<
      ElasticJobModuleOptions,
      'shutdownGracePeriodMilliseconds' | 'staleServerGraceMilliseconds' | 'disabledServerGraceMilliseconds'
    >
  >;

/** Checks the module options and merges the defaults (used by `forRoot` and `forRootAsync` alike). */
export function resolveModuleOptions(options: ElasticJobModuleOptions): ResolvedModuleOptions {
  const fail = (field: string, value: unknown, reason: string): never => {
    throw new ModuleOptionsError(invalidModuleOption(field, value, reason), field);
  };
  if (!options || typeof options !== 'object') {
    fail('options', options, 'ElasticJobModule.forRoot needs an options object with registryCenter');
  }
  const registryCenter = options.registryCenter;
  if (!registryCenter || typeof registryCenter !== 'object') {
    fail('registryCenter', registryCenter, 'is required ({ serverLists, namespace })');
  }
  const { serverLists, namespace } = registryCenter;
  if (typeof serverLists !== 'string' || !/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/.test(serverLists.trim())) {
    fail('registryCenter.serverLists', serverLists, 'must be a comma-separated list of host:port');
  }
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$/.test(namespace.replace(/^\/+/, ''))) {
    fail('registryCenter.namespace', namespace, 'must be a non-empty ZooKeeper node name');
  }
  for (const field of Object.keys(REGISTRY_CENTER_DEFAULTS) as Array<keyof typeof REGISTRY_CENTER_DEFAULTS>) {
    const value = registryCenter[field];
    if (value !== undefined && (!Number.isInteger(value) || value < (field === 'maxRetries' ? 0 : 1))) {
      fail(
        `registryCenter.${field}`,
        value,
        field === 'maxRetries' ? 'must be an integer >= 0' : 'must be a positive integer',
      );
    }
  }
  if (registryCenter.digest !== undefined && !/^[^:]+:.+$/.test(registryCenter.digest)) {
    fail('registryCenter.digest', '***', 'must be "user:password"');
  }
  const durations = {
    shutdownGracePeriodMilliseconds: options.shutdownGracePeriodMilliseconds ?? DEFAULT_SHUTDOWN_GRACE_PERIOD_MS,
    staleServerGraceMilliseconds: options.staleServerGraceMilliseconds ?? DEFAULT_STALE_SERVER_GRACE_MS,
    disabledServerGraceMilliseconds: options.disabledServerGraceMilliseconds ?? DEFAULT_DISABLED_SERVER_GRACE_MS,
  };
  for (const [field, value] of Object.entries(durations)) {
    if (!Number.isInteger(value) || value < 0) {
      fail(field, value, 'must be an integer >= 0');
    }
  }
  checkTracing(options.tracing, fail);
  const metrics = options.metrics;
  if (metrics !== undefined && typeof metrics !== 'boolean') {
    if (!metrics || typeof metrics !== 'object') {
      fail('metrics', metrics, 'must be true, false or { registry?, jobLabelLimit? }');
    }
    if (metrics.registry !== undefined && typeof metrics.registry?.registerMetric !== 'function') {
      fail('metrics.registry', '(object)', 'must be a prom-client Registry');
    }
    if (
      metrics.jobLabelLimit !== undefined &&
      (!Number.isInteger(metrics.jobLabelLimit) || metrics.jobLabelLimit < 1)
    ) {
      fail('metrics.jobLabelLimit', metrics.jobLabelLimit, 'must be a positive integer');
    }
  }
  return { ...options, ...durations };
}

/** Checks the `tracing` option (without loading `pg`). */
function checkTracing(
  tracing: ElasticJobModuleOptions['tracing'],
  fail: (field: string, value: unknown, reason: string) => never,
): void {
  if (tracing === undefined) {
    return;
  }
  if (!tracing || typeof tracing !== 'object') {
    fail('tracing', tracing, "must be { type: 'RDB', dataSource }");
  }
  if (tracing.type !== 'RDB') {
    fail('tracing.type', tracing.type, "must be 'RDB' (PostgreSQL)");
  }
  const { dataSource } = tracing;
  if (typeof dataSource === 'string' ? dataSource.trim() === '' : !dataSource || typeof dataSource !== 'object') {
    fail(
      'tracing.dataSource',
      typeof dataSource === 'string' ? dataSource : typeof dataSource,
      'must be a pg.Pool, a pg.PoolConfig or a connection string',
    );
  }
  const integers: Array<[keyof typeof tracing, number]> = [
    ['retentionDays', 0],
    ['queueCapacity', 1],
    ['batchSize', 1],
    ['flushIntervalMilliseconds', 1],
  ];
  for (const [field, min] of integers) {
    const value = tracing[field];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min)) {
      fail(`tracing.${field}`, value, `must be an integer >= ${min}`);
    }
  }
}
