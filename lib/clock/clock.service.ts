import { hasCode, RegistryCenter } from '../registry-center';
import { systemTimePath } from '../storage';

/** How long a measured offset is trusted before it is measured again. */
export const CLOCK_CHECK_INTERVAL_MS = 60_000;

/**
 * How far this machine's clock is from ZooKeeper's. One write, timed on both sides: the server stamps the node between
 * the send and the answer, so the offset is the distance of that stamp from the interval (0 when inside it).
 */
export class ClockService {
  private offset?: number;
  private measuredAt = 0;
  private measuring?: Promise<number>;

  constructor(private readonly registry: RegistryCenter) {}

  /**
   * The offset in milliseconds (positive: the local clock is ahead), measured at most `CLOCK_CHECK_INTERVAL_MS` ago,
   * by a write to the job's `systemTime/current` (ElasticJob's node; one measurement serves every job).
   */
  async currentOffset(jobName: string): Promise<number> {
    if (this.offset !== undefined && Date.now() - this.measuredAt < CLOCK_CHECK_INTERVAL_MS) {
      return this.offset;
    }
    this.measuring ??= this.measure(systemTimePath(jobName)).finally(() => (this.measuring = undefined));
    return this.measuring;
  }

  /** The last offset measured, without measuring (`undefined` before the first). */
  get lastOffset(): number | undefined {
    return this.offset;
  }

  private async measure(path: string): Promise<number> {
    let sent = Date.now();
    const stat = await this.registry.update(path, '').catch(async (error) => {
      if (!hasCode(error, 'NO_NODE')) {
        throw error;
      }
      // The first measurement in this namespace: create the node, then time a write to it.
      await this.registry.persist(path, '');
      sent = Date.now();
      return this.registry.update(path, '');
    });
    const received = Date.now();
    const server = stat.mtime;
    this.offset = server < sent ? sent - server : server > received ? received - server : 0;
    this.measuredAt = received;
    return this.offset;
  }
}
