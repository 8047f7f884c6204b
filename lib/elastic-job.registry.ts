import { Injectable } from '@nestjs/common';
import { JobConfigurationError } from './errors';
import { handlerAndJobType } from './elastic-job.messages';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator';
import { simpleJobExecutor } from './executor';
import { ConfiguredJobConfiguration, JobConfiguration, ResolvedJobConfiguration, ShardingContext } from './interfaces';

/** A job of this instance as `JobRegistry` reports it. */
export interface RegisteredJob {
  /** The job's name. */
  name: string;
  /** The configuration in force: the registry's when it won over the local one (`overwrite: false`). */
  configuration: ResolvedJobConfiguration;
  /** Sharding items of this job running on this instance now. */
  runningItems: number[];
}

/**
 * The jobs of this instance at runtime (like `SchedulerRegistry` of `@nestjs/schedule`): list them, add a job with a
 * handler function, remove one.
 */
@Injectable()
export class JobRegistry {
  constructor(private readonly orchestrator: ElasticJobOrchestrator) {}

  /** Names of the jobs of this instance. */
  getJobNames(): string[] {
    return this.orchestrator.getJobNames();
  }

  /** Every job of this instance. */
  getJobs(): RegisteredJob[] {
    return this.getJobNames().map((name) => this.getJob(name));
  }

  /** One job of this instance; throws when there is none of that name. */
  getJob(name: string): RegisteredJob {
    const job = this.orchestrator.getJob(name);
    if (!job) {
      throw new JobConfigurationError(`Job ${JSON.stringify(name)}: no such job on this instance`, name, 'name');
    }
    return { name: job.name, configuration: job.configuration, runningItems: job.runningItems };
  }

  doesExist(name: string): boolean {
    return this.orchestrator.getJob(name) !== undefined;
  }

  /**
   * Adds and (once the application has started) starts a job, validated like a decorated one: a simple job with its
   * handler, or a script or HTTP job by its configuration alone (`elasticJobType` and its `props`).
   */
  async addJob(config: JobConfiguration, handler: (context: ShardingContext) => unknown): Promise<void>;
  async addJob(config: ConfiguredJobConfiguration): Promise<void>;
  async addJob(
    config: JobConfiguration | ConfiguredJobConfiguration,
    handler?: (context: ShardingContext) => unknown,
  ): Promise<void> {
    const source = 'JobRegistry.addJob';
    const { elasticJobType, ...rest } = config as Partial<ConfiguredJobConfiguration>;
    if (typeof handler === 'function') {
      if (elasticJobType !== undefined) {
        throw new JobConfigurationError(
          handlerAndJobType(String(config.name), source, elasticJobType),
          String(config.name),
          'elasticJobType',
        );
      }
      await this.orchestrator.addJob({ config, itemExecutor: simpleJobExecutor(handler), source });
      return;
    }
    if (elasticJobType === undefined) {
      throw new JobConfigurationError(
        `Job ${JSON.stringify(config?.name)}: JobRegistry.addJob needs a handler, or "elasticJobType" ("SCRIPT" or "HTTP")`,
        String(config?.name),
        'handler',
      );
    }
    await this.orchestrator.addJob({ config: rest as JobConfiguration, itemExecutor: elasticJobType, source });
  }

  /** Stops a job on this instance; resolves `false` when there was none of that name. */
  removeJob(name: string): Promise<boolean> {
    return this.orchestrator.removeJob(name);
  }
}
