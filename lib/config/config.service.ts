import { fromConfigurationYaml, toConfigurationYaml, updateConfigurationYaml } from './job-configuration.yaml';
import { KnownTypes, resolveJobConfiguration } from './job-configuration.validator';
import { ResolvedJobConfiguration } from '../interfaces';
import { RegistryCenter } from '../registry-center';
import { JobNodePath } from '../storage';

/** Reads and writes a job's configuration node. */
export class ConfigService {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly paths: JobNodePath,
    private readonly known: KnownTypes,
  ) {}

  /**
   * Writes the local configuration when ZooKeeper has none or `overwrite` is set; otherwise ZooKeeper's wins.
   * Returns the configuration in force. Local-only fields (`maxConcurrency`) always come from `local`.
   */
  async setUp(local: ResolvedJobConfiguration): Promise<ResolvedJobConfiguration> {
    const existing = await this.registry.get(this.paths.config);
    if (existing === null || existing.trim() === '') {
      await this.registry.persist(this.paths.config, toConfigurationYaml(local));
      return local;
    }
    if (local.overwrite) {
      // Over the stored YAML: what ElasticJob stores beside this module's fields stays.
      await this.registry.persist(this.paths.config, updateConfigurationYaml(existing, local, this.tryParse(existing)));
      return local;
    }
    return this.parse(existing, local);
  }

  /** The stored configuration as this module reads it, `undefined` when it does not validate here. */
  tryParse(yaml: string): ResolvedJobConfiguration | undefined {
    try {
      return readStoredConfiguration(this.paths.jobName, yaml);
    } catch {
      return undefined;
    }
  }

  /** Parses YAML from the registry into a validated configuration, keeping the local-only fields of `local`. */
  parse(yaml: string, local: ResolvedJobConfiguration): ResolvedJobConfiguration {
    const remote = resolveJobConfiguration(
      { ...fromConfigurationYaml(this.paths.jobName, yaml), name: this.paths.jobName },
      this.known,
    );
    return { ...remote, maxConcurrency: local.maxConcurrency };
  }
}

/**
 * A stored configuration as this module reads it, its own strategy and handler types taken as known (whoever wrote
 * it knew them); throws a `JobConfigurationError` when it does not validate here.
 */
export function readStoredConfiguration(jobName: string, yaml: string): ResolvedJobConfiguration {
  const parsed = { ...fromConfigurationYaml(jobName, yaml), name: jobName };
  return resolveJobConfiguration(parsed, {
    shardingStrategyTypes: [parsed.jobShardingStrategyType ?? ''],
    errorHandlerTypes: [parsed.jobErrorHandlerType ?? ''],
  });
}
