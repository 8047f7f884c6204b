import { fromConfigurationYaml, toConfigurationYaml } from './job-configuration.yaml';
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
    if (existing === null || existing.trim() === '' || local.overwrite) {
      await this.registry.persist(this.paths.config, toConfigurationYaml(local));
      return local;
    }
    return this.parse(existing, local);
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
