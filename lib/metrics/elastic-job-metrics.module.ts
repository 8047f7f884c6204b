import { DynamicModule, Module } from '@nestjs/common';
import type { MetricsOptions } from '../interfaces';
import { ElasticJobMetricsService } from './elastic-job-metrics.service';
import { ELASTIC_JOB_METRICS_OPTIONS } from './metrics.constants';

/**
 * Prometheus metrics (`elasticjob_*`) of the application's jobs, in a prom-client registry; import it next to
 * `ElasticJobModule.forRoot(...)`:
 *
 * ```ts
 * ElasticJobMetricsModule.forRoot({ registry })   // default: prom-client's default `register`
 * ```
 *
 * The same as the module option `metrics`; with both, one collector counts (a warning says so).
 */
@Module({})
export class ElasticJobMetricsModule {
  static forRoot(options: MetricsOptions = {}): DynamicModule {
    return {
      module: ElasticJobMetricsModule,
      providers: [{ provide: ELASTIC_JOB_METRICS_OPTIONS, useValue: options }, ElasticJobMetricsService],
      exports: [ElasticJobMetricsService],
    };
  }
}
