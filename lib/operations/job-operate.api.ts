import { ipOf, JobNodePath } from '../storage';
import { Inject, Injectable } from '@nestjs/common';
import { ClockService } from '../clock';
import { SERVER_DISABLED, SERVER_ENABLED } from '../server';
import { TriggerService } from '../trigger';
import { nothingToTrigger } from '../elastic-job.messages';
import { JobOperationError } from '../errors';
import { RegistryCenter } from '../registry-center';
import { NamespaceReader } from './namespace.reader';

/** Options of `JobOperateApi.trigger`. */
export interface TriggerOptions {
  /** The `jobParameter` of this run on every instance. Default: the configured one. */
  jobParameter?: string;
}

/** A job, on one server (`ip`) or on every server of the job (`ip` undefined). */
interface Target {
  paths: JobNodePath;
  ip?: string;
}

/**
 * Steers the jobs of the namespace from any application connected to it (ElasticJob's `JobOperateAPI`): every
 * instance applies an operation within a second, through its watches. Where a method takes `jobName?` and
 * `serverIp?`, at least one is needed: a job on one server, a job on every server, or every job on one server.
 */
@Injectable()
export class JobOperateApi {
  private readonly reader: NamespaceReader;
  private readonly clock: ClockService;

  constructor(@Inject(NamespaceReader) reader: NamespaceReader | RegistryCenter) {
    this.reader = NamespaceReader.of(reader);
    this.clock = new ClockService(this.reader.registry);
  }

  /**
   * Runs the job once now on every instance, each for its items (this is how a one-off job without `cron` runs). An
   * instance on which the job is running queues the trigger and runs it right after (several with the same parameter
   * collapse into one). With `jobParameter`, that run's `ctx.jobParameter` is the given value on every instance (the
   * configuration keeps its own). Throws when no instance runs the job.
   */
  async trigger(jobName: string, options: TriggerOptions = {}): Promise<void> {
    const paths = await this.reader.requireJob(jobName);
    const instances = await this.reader.instances(paths);
    if (instances.length === 0) {
      throw new JobOperationError(nothingToTrigger(jobName), jobName, 'jobName');
    }
    // ZooKeeper's time (this machine's clock corrected by its measured offset), so that every instance sees the same
    // fire time, whatever the clock of the machine that triggers.
    const fireTime = Date.now() - (await this.clock.currentOffset(paths.jobName));
    const { jobParameter } = options;
    if (jobParameter !== undefined && typeof jobParameter !== 'string') {
      throw new JobOperationError(
        `Job ${JSON.stringify(jobName)}: invalid "jobParameter" ${JSON.stringify(jobParameter)}: must be a string`,
        jobName,
        'jobParameter',
      );
    }
    await new TriggerService(this.reader.registry, paths).triggerInstances(instances, fireTime, jobParameter);
  }

  /** Disables the job on a server (its items move to the other servers at the next fire). */
  async disable(jobName?: string, serverIp?: string): Promise<void> {
    await this.switchServers('JobOperateApi.disable', jobName, serverIp, SERVER_DISABLED);
  }

  /** Enables the job on a server again. */
  async enable(jobName?: string, serverIp?: string): Promise<void> {
    await this.switchServers('JobOperateApi.enable', jobName, serverIp, SERVER_ENABLED);
  }

  /**
   * Shuts the job down on the instances of a server: each stops the job (its running items get the shutdown grace
   * period) and leaves, without the process ending; the others reshard. The instance runs the job again after a
   * restart.
   */
  async shutdown(jobName?: string, serverIp?: string): Promise<void> {
    this.reader.requireTarget('JobOperateApi.shutdown', jobName, serverIp);
    for (const { paths, ip } of await this.targets(jobName, serverIp)) {
      for (const instance of await this.reader.instances(paths)) {
        if (ip === undefined || ipOf(instance) === ip) {
          await this.reader.registry.remove(paths.instance(instance));
        }
      }
    }
  }

  /** `shutdown`, then removes the server's registration of the job (`servers/{ip}`); the configuration stays. */
  async remove(jobName?: string, serverIp?: string): Promise<void> {
    this.reader.requireTarget('JobOperateApi.remove', jobName, serverIp);
    const targets = await this.targets(jobName, serverIp);
    await this.shutdown(jobName, serverIp);
    for (const target of targets) {
      for (const server of await this.serversOf(target)) {
        await this.reader.registry.remove(target.paths.server(server));
      }
    }
  }

  private async switchServers(
    operation: string,
    jobName: string | undefined,
    serverIp: string | undefined,
    to: string,
  ) {
    this.reader.requireTarget(operation, jobName, serverIp);
    for (const target of await this.targets(jobName, serverIp)) {
      for (const server of await this.serversOf(target)) {
        await this.reader.registry.persist(target.paths.server(server), to);
      }
    }
  }

  /** The servers of a target: its one server, or every server registered for the job. */
  private async serversOf({ paths, ip }: Target): Promise<string[]> {
    return ip === undefined ? this.reader.registry.getChildren(paths.servers) : [ip];
  }

  /** The (job, server) pairs an operation is about, checked: `ip` undefined means every server of the job. */
  private async targets(jobName?: string, serverIp?: string): Promise<Target[]> {
    if (jobName !== undefined) {
      const paths = await this.reader.requireJob(jobName);
      if (serverIp !== undefined) {
        await this.reader.requireServer(paths, serverIp);
      }
      return [{ paths, ip: serverIp }];
    }
    const jobs = await this.reader.requireJobsOfServer(serverIp);
    return jobs.map((job) => ({ paths: new JobNodePath(job), ip: serverIp }));
  }
}
