import { clockTooFarOff } from '../elastic-job.messages';
import { logger } from '../elastic-job.logger';
import { JobConfigurationError } from '../errors';
import { ResolvedJobConfiguration } from '../interfaces';
import { ClockService } from './clock.service';

/**
 * A job's guard against a clock too far from ZooKeeper's (`maxTimeDiffSeconds`): no start, and no fire while the last
 * measured offset is beyond it (said once when it goes beyond, and once when it is back).
 */
export class ClockGuard {
  private refused = false;

  constructor(private readonly clock: ClockService) {}

  /** Refuses to start when the clock is further from ZooKeeper's than `maxTimeDiffSeconds`. */
  async checkAtStart(config: ResolvedJobConfiguration): Promise<void> {
    if (config.maxTimeDiffSeconds < 0) {
      return;
    }
    const offset = await this.clock.currentOffset(config.name);
    if (Math.abs(offset) > config.maxTimeDiffSeconds * 1000) {
      throw new JobConfigurationError(
        clockTooFarOff(config.name, offset, config.maxTimeDiffSeconds),
        config.name,
        'maxTimeDiffSeconds',
      );
    }
  }

  /** At each fire: the last measured offset within `maxTimeDiffSeconds`. */
  isOk(config: ResolvedJobConfiguration): boolean {
    const offset = this.clock.lastOffset;
    const ok =
      config.maxTimeDiffSeconds < 0 || offset === undefined || Math.abs(offset) <= config.maxTimeDiffSeconds * 1000;
    if (ok === this.refused) {
      this.refused = !ok;
      if (ok) {
        logger.log(`Job "${config.name}": the clock is back within maxTimeDiffSeconds; running again`);
      } else {
        logger.error(`${clockTooFarOff(config.name, offset!, config.maxTimeDiffSeconds)}; not running until it is`);
      }
    }
    return ok;
  }
}
