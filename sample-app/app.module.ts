import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ElasticJobModule } from '../lib';
import { ElasticJobHealthIndicator } from '../lib/terminus';
import { configuredJobs } from './configured.jobs';
import { OpsController } from './ops.controller';
import { SettlementJobs } from './settlement.jobs';

@Module({
  imports: [
    TerminusModule,
    ElasticJobModule.forRoot({
      registryCenter: {
        serverLists: process.env.ZK_SERVERS ?? '127.0.0.1:2181',
        namespace: process.env.ZK_NAMESPACE ?? 'order-service',
        sessionTimeoutMilliseconds: 10_000,
      },
      // A script job and an HTTP job, declared by configuration alone.
      jobs: configuredJobs(),
      // The run history in PostgreSQL (ElasticJob's tables), when TRACING_URL names a database.
      tracing: process.env.TRACING_URL ? { type: 'RDB', dataSource: process.env.TRACING_URL } : undefined,
      // Prometheus metrics in prom-client's default registry (GET /metrics).
      metrics: true,
    }),
  ],
  controllers: [OpsController],
  providers: [SettlementJobs, ElasticJobHealthIndicator],
})
export class AppModule {}
