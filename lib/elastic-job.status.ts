import { Injectable } from '@nestjs/common';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator';
import { InstanceStatus } from './interfaces';

/**
 * This instance's own state, read from memory (no ZooKeeper request): its connection, its lease, and per job its
 * state, items and last runs. What the health indicator (`nestjs-elasticjob/terminus`) and the metrics report.
 */
@Injectable()
export class InstanceStatusApi {
  constructor(private readonly orchestrator: ElasticJobOrchestrator) {}

  snapshot(): InstanceStatus {
    return this.orchestrator.status();
  }

  /**
   * Whether this instance is healthy: connected, holding its lease, no session being renewed, and every job of this
   * instance registered (none still starting).
   */
  isHealthy(status: InstanceStatus = this.snapshot()): boolean {
    return (
      status.connected &&
      status.leaseHeld &&
      !status.renewingSession &&
      status.jobs.every((job) => job.state !== 'STARTING' && job.state !== 'RENEWING')
    );
  }
}
