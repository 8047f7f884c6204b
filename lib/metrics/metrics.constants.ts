/** Injection token of `ElasticJobMetricsModule`'s options. */
export const ELASTIC_JOB_METRICS_OPTIONS = 'ELASTIC_JOB_METRICS_OPTIONS';
