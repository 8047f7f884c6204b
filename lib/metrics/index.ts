export { ElasticJobMetrics } from './elastic-job-metrics';
export { ElasticJobMetricsModule } from './elastic-job-metrics.module';
export { ElasticJobMetricsService } from './elastic-job-metrics.service';
export { ELASTICJOB_METRICS } from './metric-definitions';
export type { ElasticJobMetricDefinition, ElasticJobMetricKey, ElasticJobMetricType } from './metric-definitions';
export { DEFAULT_JOB_LABEL_LIMIT, OTHER_JOBS_LABEL } from './job-labels';
export { ELASTIC_JOB_METRICS_OPTIONS } from './metrics.constants';
export type { MetricsSources } from './metrics-sources';
export type { MetricsOptions, MetricsRegistry } from '../interfaces';
