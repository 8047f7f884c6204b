/** Injection token of the resolved module options. */
export const ELASTIC_JOB_MODULE_OPTIONS = 'ELASTIC_JOB_MODULE_OPTIONS';
/** Metadata key written by `@ElasticJob` on a provider method. */
export const ELASTIC_JOB_METADATA = 'elastic-job:job';
/** Logger context of the whole library. */
export const LOGGER_CONTEXT = 'ElasticJob';
/** Separator of ElasticJob's instance ids and task ids (`ip@-@pid`). */
export const ID_SEPARATOR = '@-@';
/** Metadata key written by `@ElasticDataflowJob` on a provider class. */
export const ELASTIC_DATAFLOW_JOB_METADATA = 'elastic-job:dataflow-job';
/** ElasticJob's property holding a dataflow job's streaming switch. */
export const STREAMING_PROCESS_PROP = 'streaming.process';
/** Injection token of the job types (sharding strategies, error handlers) the application knows. */
export const ELASTIC_JOB_KNOWN_TYPES = 'ELASTIC_JOB_KNOWN_TYPES';
/** Injection token of the function that builds the registry center (`RegistryCenterFactory`): override it in tests. */
export const ELASTIC_JOB_REGISTRY_CENTER_FACTORY = 'ELASTIC_JOB_REGISTRY_CENTER_FACTORY';
/** Metadata key written by `@JobListener` on a provider class. */
export const ELASTIC_JOB_LISTENER_METADATA = 'elastic-job:listener';
/** Injection token of what the metrics read of the application (`MetricsSources`: events, registry, status). */
export const ELASTIC_JOB_METRICS_SOURCES = 'ELASTIC_JOB_METRICS_SOURCES';
