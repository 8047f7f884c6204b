import { logger } from '../elastic-job.logger';
import { ResolvedJobConfiguration } from '../interfaces';
import { TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';
import { ConfigService } from './config.service';

/** What follows a configuration change: the new configuration and the one it replaced. */
export type ConfigReaction = (config: ResolvedJobConfiguration, previous: ResolvedJobConfiguration) => void;

/** The owner of a job's live configuration on this instance. */
export interface ConfigOwner {
  readonly config: ResolvedJobConfiguration;
  /** Replaces the configuration; throws (and keeps the old one) when it cannot be applied. */
  update(config: ResolvedJobConfiguration): void;
}

/**
 * The job's `config` node changed in the registry (an operator's edit): the configuration is parsed and validated,
 * applied live, and the rooms that follow it react (the timer, the server switch, the reshard flag). A configuration
 * that does not validate is refused and the previous one kept.
 */
export class ConfigListener implements RegistryEventListener {
  constructor(
    private readonly configService: ConfigService,
    private readonly paths: JobNodePath,
    private readonly local: ResolvedJobConfiguration,
    private readonly owner: ConfigOwner,
    /** What follows an applied change (the timer, the server switch, the reshard flag). */
    private readonly reaction: { onConfigChange: ConfigReaction },
  ) {}

  onEvent(event: TreeCacheEvent): void {
    if (event.path === this.paths.config && event.type === 'NODE_UPDATED' && event.data !== undefined) {
      this.apply(event.data);
    }
  }

  private apply(data: string): void {
    const name = this.paths.jobName;
    try {
      const previous = this.owner.config;
      const config = this.configService.parse(data, this.local);
      this.owner.update(config);
      this.reaction.onConfigChange(config, previous);
      logger.log(`Job "${name}": configuration changed in the registry; applied`);
    } catch (error) {
      logger.error(
        `Job "${name}": configuration in the registry rejected, keeping the previous one: ${(error as Error).message}`,
      );
    }
  }
}
