import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ELASTIC_JOB_METRICS_SOURCES } from '../elastic-job.constants';
import type { MetricsOptions } from '../interfaces';
import { ElasticJobMetrics } from './elastic-job-metrics';
import type { MetricsSources } from './metrics-sources';
import { ELASTIC_JOB_METRICS_OPTIONS } from './metrics.constants';

/**
 * `ElasticJobMetricsModule`'s collector: the application's `ElasticJobMetrics`, started when the module initialises
 * (before the jobs start, at bootstrap) and stopped at shutdown.
 */
@Injectable()
export class ElasticJobMetricsService implements OnModuleInit, OnApplicationShutdown {
  readonly metrics: ElasticJobMetrics;

  constructor(
    @Inject(ELASTIC_JOB_METRICS_SOURCES) sources: MetricsSources,
    @Inject(ELASTIC_JOB_METRICS_OPTIONS) options: MetricsOptions,
  ) {
    this.metrics = new ElasticJobMetrics(sources, options);
  }

  onModuleInit(): void {
    this.metrics.start();
  }

  onApplicationShutdown(): void {
    this.metrics.stop();
  }
}
