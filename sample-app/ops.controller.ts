import { Controller, Get, Header, Query } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { register } from 'prom-client';
import { EventTraceHistoryApi, ModuleOptionsError } from '../lib';
import { ElasticJobHealthIndicator } from '../lib/terminus';

/** What an operator reads of one instance: its health (terminus), its metrics (Prometheus) and the run history. */
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly elasticJob: ElasticJobHealthIndicator,
    private readonly history: EventTraceHistoryApi,
  ) {}

  /** 200 while this instance holds its lease and runs its jobs; 503 otherwise (a readiness probe). */
  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.elasticJob.isHealthy('elasticjob')]);
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }

  /** The last runs of a job, from tracing (`TRACING_URL`): `/history?job=settle-orders&failed=true`. */
  @Get('history')
  async runs(@Query('job') job = 'settle-orders', @Query('failed') failed?: string) {
    try {
      return await this.history.findJobExecutionEvents({
        jobName: job,
        isSuccess: failed === undefined ? undefined : failed !== 'true',
        perPage: 20,
      });
    } catch (error) {
      if (error instanceof ModuleOptionsError) {
        return { error: 'tracing is off: start the app with TRACING_URL=postgres://user@host:5432/database' };
      }
      throw error;
    }
  }
}
