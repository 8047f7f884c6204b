import { SetMetadata } from '@nestjs/common';
import { ELASTIC_JOB_METADATA } from '../elastic-job.constants';
import { JobConfiguration } from '../interfaces';

/**
 * Declares a provider method as a simple job: it is called once per sharding item assigned to this instance, with
 * a `ShardingContext`, at every fire of `cron` (or when triggered, for a job without `cron`).
 *
 * ```ts
 * @ElasticJob({ name: 'settle-orders', cron: '0/5 * * * * ?', shardingTotalCount: 3 })
 * async settle(ctx: ShardingContext) {}
 * ```
 */
export const ElasticJob = (config: JobConfiguration): MethodDecorator => SetMetadata(ELASTIC_JOB_METADATA, config);
