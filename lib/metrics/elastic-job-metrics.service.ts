import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ElasticJobRuntime } from '../elastic-job.runtime';
import { InstanceStatusApi } from '../elastic-job.status';
import type { MetricsOptions } from '../interfaces';
import { ElasticJobMetrics } from './elastic-job-metrics';
import { ELASTIC_JOB_METRICS_OPTIONS } from './metrics.constants';

/**
 * `ElasticJobMetricsModule`'s collector: the application's `ElasticJobMetrics`, started when the module initialises
 * (before the jobs start, at bootstrap) and stopped at shutdown.
 */
@Injectable()
export class ElasticJobMetricsService implements OnModuleInit, OnApplicationShutdown {
  readonly metrics: ElasticJobMetrics;

  constructor(
    runtime: ElasticJobRuntime,
    status: InstanceStatusApi,
    @Inject(ELASTIC_JOB_METRICS_OPTIONS) options: MetricsOptions,
  ) {
    this.metrics = new ElasticJobMetrics(
      {
        events: runtime.events,
        // Read when the collector starts: the registry center is built on first use.
        get registry() {
          return runtime.registry;
        },
        status: () => status.snapshot(),
        tracing: () => runtime.tracingStats(),
      },
      options,
    );
  }

  onModuleInit(): void {
    this.metrics.start();
  }

  onApplicationShutdown(): void {
    this.metrics.stop();
  }
}
