export { ElasticJobHealthIndicator } from './elastic-job.health';
export type { ElasticJobHealthDetails, ElasticJobHealthJobDetails } from './elastic-job.health';
export { ElasticJobTerminusModule } from './elastic-job-terminus.module';
