import { SetMetadata } from '@nestjs/common';
import { ELASTIC_DATAFLOW_JOB_METADATA } from '../elastic-job.constants';
import { DataflowJobConfiguration } from '../interfaces';

/**
 * Declares a provider class implementing `DataflowJob` as a dataflow job: at every fire, per sharding item assigned to
 * this instance, `fetchData` then `processData` (again and again with `streamingProcess: true`).
 *
 * ```ts
 * @Injectable()
 * @ElasticDataflowJob({ name: 'sync-orders', cron: '0/5 * * * * ?', shardingTotalCount: 4, streamingProcess: true })
 * export class SyncOrdersJob implements DataflowJob<Order> { ... }
 * ```
 */
export const ElasticDataflowJob = (config: DataflowJobConfiguration): ClassDecorator =>
  SetMetadata(ELASTIC_DATAFLOW_JOB_METADATA, config);
