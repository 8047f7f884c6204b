import { Inject, Injectable, Optional } from '@nestjs/common';
import { KnownTypes, readStoredConfiguration, resolveJobConfiguration, updateConfigurationYaml } from '../config';
import { JobNodePath, parseRunningMarker } from '../storage';
import { ELASTIC_JOB_KNOWN_TYPES } from '../elastic-job.constants';
import { JobConfiguration, ResolvedJobConfiguration } from '../interfaces';
import { RegistryCenter } from '../registry-center';
import { sleep, stripUndefined } from '../utils';
import { NamespaceReader } from './namespace.reader';

/** How long `removeJobConfiguration` waits at most for the job's instances to stop before it removes the nodes. */
export const REMOVE_WAIT_MS = 30_000;
const REMOVE_POLL_MS = 100;

/**
 * Reads and changes job configurations in the registry (ElasticJob's `JobConfigurationAPI`). A change is applied live
 * by every instance within a second: cron and time zone reschedule, `shardingTotalCount` reshards at the next fire,
 * `failover` / `misfire` / `monitorExecution` switch, `disabled` stops or starts the job.
 */
@Injectable()
export class JobConfigurationApi {
  private readonly reader: NamespaceReader;

  constructor(
    @Inject(NamespaceReader) reader: NamespaceReader | RegistryCenter,
    @Optional() @Inject(ELASTIC_JOB_KNOWN_TYPES) private readonly known: KnownTypes = {},
  ) {
    this.reader = NamespaceReader.of(reader);
  }

  /** The job's configuration as stored in the registry; throws for an unknown job. */
  async getJobConfiguration(jobName: string): Promise<JobConfiguration> {
    const { config } = await this.reader.requireConfiguration(jobName);
    return stripUndefined({ ...config, name: jobName }) as JobConfiguration;
  }

  /**
   * Replaces the configuration of an existing job (fields left out take their defaults), validated as a decorated
   * job's is: a `JobConfigurationError` names the job and the field. Sharding strategy and error handler types must be
   * built in, registered in this application, or the job's current ones. `maxConcurrency` is local to each instance
   * and not stored. Resolves the configuration written.
   */
  async updateJobConfiguration(config: JobConfiguration): Promise<ResolvedJobConfiguration> {
    const { paths, config: current } = await this.reader.requireConfiguration(config?.name);
    const known: KnownTypes = {
      shardingStrategyTypes: [...(this.known.shardingStrategyTypes ?? []), current.jobShardingStrategyType ?? ''],
      errorHandlerTypes: [...(this.known.errorHandlerTypes ?? []), current.jobErrorHandlerType ?? ''],
    };
    const { maxConcurrency: _local, ...stored } = resolveJobConfiguration(config, known);
    // Over the stored YAML, writing only what changed: fields ElasticJob stores beside ours stay as they are.
    const { registry } = this.reader;
    const node = await registry.getNode(paths.config);
    let previous: ResolvedJobConfiguration | undefined;
    try {
      previous = node ? readStoredConfiguration(paths.jobName, node.data) : undefined;
    } catch {
      previous = undefined;
    }
    const yaml = updateConfigurationYaml(node?.data ?? null, stored, previous);
    await registry.update(paths.config, yaml, node?.stat.version);
    return stored;
  }

  /** The job's configuration node as stored (ElasticJob's YAML, with the fields this module does not manage). */
  async getJobConfigurationYaml(jobName: string): Promise<string> {
    const { paths } = await this.reader.requireConfiguration(jobName);
    return (await this.reader.registry.get(paths.config)) ?? '';
  }

  /**
   * Removes the job from the namespace: every instance shuts it down (running items get their shutdown grace period,
   * and are not handed over), then all of its nodes go. Waits up to `REMOVE_WAIT_MS` for the instances.
   */
  async removeJobConfiguration(jobName: string): Promise<void> {
    const paths = await this.reader.requireJob(jobName);
    const { registry } = this.reader;
    const instances = await registry.getChildren(paths.instances);
    // The configuration first: an instance that sees it gone writes nothing that would bring the job's nodes back.
    await registry.remove(paths.config);
    for (const instance of instances) {
      await registry.remove(paths.instance(instance));
    }
    const deadline = Date.now() + REMOVE_WAIT_MS;
    while (Date.now() < deadline && (await this.stillActive(paths, new Set(instances)))) {
      await sleep(REMOVE_POLL_MS);
    }
    await registry.remove(paths.root, { recursive: true });
  }

  /** Whether an instance that ran the job is still there, leads it, or runs one of its items. */
  private async stillActive(paths: JobNodePath, instances: Set<string>): Promise<boolean> {
    const { registry } = this.reader;
    if (
      (await registry.getChildren(paths.instances)).length > 0 ||
      (await registry.exists(paths.leaderElectionInstance))
    ) {
      return true;
    }
    for (const item of await registry.getChildren(paths.sharding)) {
      const marker = parseRunningMarker(await registry.get(paths.running(Number(item))));
      if (marker && instances.has(marker.instanceId)) {
        return true;
      }
    }
    return false;
  }
}
