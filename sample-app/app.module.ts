import { Module } from '@nestjs/common';
import { ElasticJobModule } from '../lib';
import { configuredJobs } from './configured.jobs';
import { SettlementJobs } from './settlement.jobs';

@Module({
  imports: [
    ElasticJobModule.forRoot({
      registryCenter: {
        serverLists: process.env.ZK_SERVERS ?? '127.0.0.1:2181',
        namespace: process.env.ZK_NAMESPACE ?? 'order-service',
        sessionTimeoutMilliseconds: 10_000,
      },
      // A script job and an HTTP job, declared by configuration alone.
      jobs: configuredJobs(),
    }),
  ],
  providers: [SettlementJobs],
})
export class AppModule {}
