import { hasCode, RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import { InstanceIdentity } from '../instance';
import { JobNodePath } from '../storage';
import { logger } from '../elastic-job.logger';

export const SERVER_ENABLED = 'ENABLED';
export const SERVER_DISABLED = 'DISABLED';

/** The `servers/{ip}` switch of a job. */
export class ServerService {
  private readonly serverPath: string;
  // Read at every fire: kept in step with the cache instead of looked up.
  private enabled: boolean;
  // When this instance saw the switch turned off last, 0 if it started so.
  private disabledAt = 0;

  constructor(cache: TreeCache, paths: JobNodePath, identity: InstanceIdentity) {
    this.serverPath = paths.server(identity.ip);
    this.enabled = cache.get(this.serverPath) !== SERVER_DISABLED;
  }

  /** Keeps the switch in step with the cache (before the rooms' listeners see the event). */
  onEvent(event: TreeCacheEvent): void {
    if (event.path === this.serverPath) {
      const enabled = event.type === 'NODE_REMOVED' || event.data !== SERVER_DISABLED;
      if (this.enabled && !enabled) {
        this.disabledAt = Date.now();
      }
      this.enabled = enabled;
    }
  }

  /** Whether the server was switched off after `time` (and is off). */
  disabledSince(time: number): boolean {
    return !this.enabled && this.disabledAt > time;
  }

  /**
   * Registers this server for the job, `ENABLED` or `DISABLED`, writing the node even when it holds that already (its
   * write time tells the stale-server clean-up that an instance of the server registered). With `keepDisabled` (at
   * start-up) a server an operator disabled stays disabled (a pod restarting on its IP, or another instance of it);
   * ElasticJob's own instances enable it again at their start.
   */
  static async register(
    registry: RegistryCenter,
    paths: JobNodePath,
    identity: InstanceIdentity,
    enabled: boolean,
    options: { keepDisabled?: boolean } = {},
  ): Promise<void> {
    const path = paths.server(identity.ip);
    if (!(options.keepDisabled && enabled)) {
      await registry.persist(path, enabled ? SERVER_ENABLED : SERVER_DISABLED);
      return;
    }
    // Read once here, so written without persist's own look.
    const current = await registry.get(path);
    if (current === SERVER_DISABLED) {
      logger.warn(
        `Job "${paths.jobName}": server ${identity.ip} was disabled by an operator and stays disabled; enable it with ` +
          'JobOperateApi.enable (or the CLI) to run the job here',
      );
    }
    const status = current === SERVER_DISABLED ? SERVER_DISABLED : SERVER_ENABLED;
    if (current === null) {
      await registry.create(path, status).catch(async (error) => {
        if (!hasCode(error, 'NODE_EXISTS')) {
          throw error;
        }
        await registry.update(path, status);
      });
    } else {
      await registry.update(path, status);
    }
  }

  /** Whether this server may run the job, from the cache. */
  isEnabled(): boolean {
    return this.enabled;
  }
}
