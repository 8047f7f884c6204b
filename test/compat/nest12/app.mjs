// A NestJS 12 application (ESM, no build step) using nestjs-elasticjob as an installed package.
// Plain JavaScript, so decorators are applied as functions.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ElasticJob, ElasticJobModule, JobRegistry, JobStatisticsApi } from 'nestjs-elasticjob';

const require = createRequire(import.meta.url);
const emit = (event) => console.log(JSON.stringify(event));

class CompatJobs {
  run(context) {
    emit({ event: 'run', item: context.shardingItem, parameter: context.shardingParameter, at: Date.now() });
  }
}
Injectable()(CompatJobs);
ElasticJob({ name: 'compat', cron: '* * * * * ?', shardingTotalCount: 3, shardingItemParameters: '0=a,1=b,2=c' })(
  CompatJobs.prototype,
  'run',
  Object.getOwnPropertyDescriptor(CompatJobs.prototype, 'run'),
);

class AppModule {}
Module({
  imports: [
    ElasticJobModule.forRoot({
      registryCenter: { serverLists: process.env.ZK_SERVERS, namespace: process.env.ZK_NAMESPACE },
    }),
  ],
  providers: [CompatJobs],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
emit({
  event: 'started',
  nest: require('@nestjs/core/package.json').version,
  jobs: app.get(JobRegistry).getJobNames(),
  // The operations APIs are injectable on NestJS 12 too.
  brief: await app.get(JobStatisticsApi).getJobBriefInfo('compat'),
});
