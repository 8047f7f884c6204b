import { ipOf, JobNodePath } from '../storage';
import { Inject, Injectable } from '@nestjs/common';
import { SERVER_DISABLED } from '../server';
import { JobBriefInfo, JobStatus } from '../interfaces';
import { RegistryCenter } from '../registry-center';
import { mapConcurrently } from '../utils';
import { NamespaceReader, READ_CONCURRENCY } from './namespace.reader';

/** The jobs of the namespace at a glance (ElasticJob's `JobStatisticsAPI`). */
@Injectable()
export class JobStatisticsApi {
  private readonly reader: NamespaceReader;

  constructor(@Inject(NamespaceReader) reader: NamespaceReader | RegistryCenter) {
    this.reader = NamespaceReader.of(reader);
  }

  /** How many jobs the namespace holds. */
  async getJobsTotalCount(): Promise<number> {
    return (await this.reader.jobNames()).length;
  }

  /** Every job of the namespace, by name. */
  async getAllJobsBriefInfo(): Promise<JobBriefInfo[]> {
    const jobs = await mapConcurrently(await this.reader.jobNames(), READ_CONCURRENCY, (job) => this.briefOf(job));
    return jobs.filter((job): job is JobBriefInfo => job !== undefined);
  }

  /** One job; throws for an unknown job. */
  async getJobBriefInfo(jobName: string): Promise<JobBriefInfo> {
    const paths = await this.reader.requireJob(jobName);
    const brief = await this.briefOf(paths.jobName);
    if (!brief) {
      // Removed between the two reads.
      throw this.reader.unknownJob(paths.jobName);
    }
    return brief;
  }

  /**
   * The jobs registered on one server, with their status there (`OK` or `DISABLED`) and the number of instances of
   * that server; throws when no job is registered on it.
   */
  async getJobsBriefInfo(serverIp: string): Promise<JobBriefInfo[]> {
    const jobs = await this.reader.requireJobsOfServer(serverIp);
    const briefs = await mapConcurrently(jobs, READ_CONCURRENCY, async (job): Promise<JobBriefInfo | undefined> => {
      const paths = new JobNodePath(job);
      const [brief, server, instances] = await Promise.all([
        this.briefOf(job, false),
        this.reader.registry.get(paths.server(serverIp)),
        this.reader.instances(paths),
      ]);
      if (!brief) {
        return undefined;
      }
      return {
        ...brief,
        status: server === SERVER_DISABLED ? 'DISABLED' : 'OK',
        instanceCount: instances.filter((id) => ipOf(id) === serverIp).length,
      };
    });
    return briefs.filter((job): job is JobBriefInfo => job !== undefined);
  }

  private async briefOf(jobName: string, withStatus = true): Promise<JobBriefInfo | undefined> {
    const config = await this.reader.configuration(jobName);
    if (!config) {
      return undefined;
    }
    const paths = new JobNodePath(jobName);
    const instances = await this.reader.instances(paths);
    const brief: JobBriefInfo = {
      jobName,
      status: withStatus ? await this.statusOf(paths, instances) : 'OK',
      instanceCount: instances.length,
      shardingTotalCount: Number(config.shardingTotalCount),
    };
    if (config.cron) {
      brief.cron = config.cron;
    }
    if (config.description) {
      brief.description = config.description;
    }
    return brief;
  }

  /** ElasticJob's rules, in its order: no instance, every server disabled, an assignment to an instance that is gone. */
  private async statusOf(paths: JobNodePath, instances: string[]): Promise<JobStatus> {
    if (instances.length === 0) {
      return 'CRASHED';
    }
    const { registry } = this.reader;
    const servers = await registry.getChildren(paths.servers);
    const switches = await Promise.all(servers.map((ip) => registry.get(paths.server(ip))));
    if (switches.every((status) => status === SERVER_DISABLED)) {
      return 'DISABLED';
    }
    const items = await registry.getChildren(paths.sharding);
    const owners = await Promise.all(items.map((item) => registry.get(paths.shardingInstance(Number(item)))));
    const assigned = owners.filter((owner): owner is string => !!owner);
    const live = new Set(instances);
    return assigned.length === 0 || assigned.some((owner) => !live.has(owner)) ? 'SHARDING_FLAG' : 'OK';
  }
}
