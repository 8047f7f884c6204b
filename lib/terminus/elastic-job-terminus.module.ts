import './terminus.peer';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ElasticJobHealthIndicator } from './elastic-job.health';

/**
 * Provides and exports `ElasticJobHealthIndicator` (and `TerminusModule`, for `HealthCheckService`), for a health
 * module of its own: `imports: [ElasticJobTerminusModule]`, next to `ElasticJobModule.forRoot(...)` in the root module.
 */
@Module({
  imports: [TerminusModule],
  providers: [ElasticJobHealthIndicator],
  exports: [ElasticJobHealthIndicator, TerminusModule],
})
export class ElasticJobTerminusModule {}
