import { SetMetadata } from '@nestjs/common';
import { ELASTIC_JOB_LISTENER_METADATA } from '../elastic-job.constants';

/**
 * Declares a provider class implementing `ElasticJobListener` (or extending `DistributeOnceJobListener`) as the
 * listener of type `type`: jobs whose `jobListenerTypes` name it call it around their executions.
 *
 * ```ts
 * @Injectable()
 * @JobListener('audit')
 * export class AuditListener implements ElasticJobListener { ... }
 * ```
 */
export const JobListener = (type: string): ClassDecorator => SetMetadata(ELASTIC_JOB_LISTENER_METADATA, type);
