import { Injectable } from '@nestjs/common';
import { fromConfigurationYaml } from '../config';
import { JobNodePath, NAMESPACE_ROOT } from '../storage';
import { missingOperationTarget, unknownItem, unknownJob, unknownServer } from '../elastic-job.messages';
import { JobOperationError } from '../errors';
import { JobConfiguration } from '../interfaces';
import { RegistryCenter } from '../registry-center';
import { mapConcurrently } from '../utils';

/** Reads of a whole namespace are spread over this many requests in flight at most. */
export const READ_CONCURRENCY = 64;

/**
 * What the operations APIs read of a namespace, with their checks: unknown jobs, servers and items are errors. One
 * reader serves every API: the module provides one, and the CLI builds one per connection.
 */
@Injectable()
export class NamespaceReader {
  constructor(readonly registry: RegistryCenter) {}

  /** The reader an API is given, or a reader of its own on a registry center it is given instead. */
  static of(source: NamespaceReader | RegistryCenter): NamespaceReader {
    return source instanceof NamespaceReader ? source : new NamespaceReader(source);
  }

  get namespace(): string {
    return this.registry.namespace;
  }

  /** Names of the jobs of the namespace (the root's children that hold a `config` node), sorted. */
  async jobNames(): Promise<string[]> {
    const children = await this.registry.getChildren(NAMESPACE_ROOT);
    const isJob = await mapConcurrently(children, READ_CONCURRENCY, (name) =>
      this.registry.exists(new JobNodePath(name).config),
    );
    return children.filter((_, index) => isJob[index]);
  }

  /** The job's paths; throws when the namespace has no such job. */
  async requireJob(jobName: unknown): Promise<JobNodePath> {
    const paths = this.pathsOf(jobName);
    if (!(await this.registry.exists(paths.config))) {
      throw this.unknownJob(paths.jobName);
    }
    return paths;
  }

  /** The job's paths and its configuration as stored, in one read; throws when the namespace has no such job. */
  async requireConfiguration(jobName: unknown): Promise<{ paths: JobNodePath; config: JobConfiguration }> {
    const paths = this.pathsOf(jobName);
    const config = await this.configuration(paths.jobName);
    if (!config) {
      throw this.unknownJob(paths.jobName);
    }
    return { paths, config };
  }

  /** The error for a job the namespace does not hold. */
  unknownJob(jobName: string): JobOperationError {
    return new JobOperationError(unknownJob(jobName, this.namespace), jobName, 'jobName');
  }

  /** A job name's paths; a name that cannot be a job's (empty, `/`, white space) is an unknown job. */
  private pathsOf(jobName: unknown): JobNodePath {
    if (typeof jobName !== 'string' || jobName.trim() === '' || /[/\s]/.test(jobName)) {
      throw this.unknownJob(String(jobName));
    }
    return new JobNodePath(jobName);
  }

  /** The job's configuration as stored (defaults not applied); `undefined` when the job is gone. */
  async configuration(jobName: string): Promise<JobConfiguration | undefined> {
    const yaml = await this.registry.get(new JobNodePath(jobName).config);
    return yaml === null ? undefined : fromConfigurationYaml(jobName, yaml);
  }

  /** Throws unless `serverIp` is registered for the job. */
  async requireServer(paths: JobNodePath, serverIp: unknown): Promise<string> {
    if (typeof serverIp !== 'string' || !(await this.registry.exists(paths.server(serverIp)))) {
      throw new JobOperationError(
        unknownServer(paths.jobName, String(serverIp), this.namespace),
        paths.jobName,
        'serverIp',
      );
    }
    return serverIp;
  }

  /** The jobs registered on `serverIp`; throws when there is none. */
  async requireJobsOfServer(serverIp: unknown): Promise<string[]> {
    const ip = String(serverIp);
    const jobs = await this.jobNames();
    const registered = await mapConcurrently(jobs, READ_CONCURRENCY, (job) =>
      this.registry.exists(new JobNodePath(job).server(ip)),
    );
    const result = jobs.filter((_, index) => registered[index]);
    if (typeof serverIp !== 'string' || result.length === 0) {
      throw new JobOperationError(unknownServer(undefined, ip, this.namespace), undefined, 'serverIp');
    }
    return result;
  }

  /** The job's paths and the item as a number; throws unless the job exists and the item is one of its items. */
  async requireItem(jobName: unknown, item: unknown): Promise<{ paths: JobNodePath; item: number }> {
    const { paths, config } = await this.requireConfiguration(jobName);
    const total = Number(config.shardingTotalCount);
    const value = typeof item === 'string' && /^\d+$/.test(item.trim()) ? Number(item) : item;
    if (!Number.isInteger(value) || (value as number) < 0 || !((value as number) < total)) {
      throw new JobOperationError(unknownItem(paths.jobName, item, total), paths.jobName, 'item');
    }
    return { paths, item: value as number };
  }

  /** Throws unless at least one of job and server is given (`disable`, `enable`, `shutdown`, `remove`). */
  requireTarget(operation: string, jobName?: string, serverIp?: string): void {
    if (jobName === undefined && serverIp === undefined) {
      throw new JobOperationError(missingOperationTarget(operation), undefined, 'jobName');
    }
  }

  /** Instance ids of the job, with the server of each (from its id, `{ip}@-@{pid}`). */
  async instances(paths: JobNodePath): Promise<string[]> {
    return this.registry.getChildren(paths.instances);
  }
}
