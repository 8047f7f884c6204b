import { logger } from '../elastic-job.logger';
import { warningsSuppressed } from './alert.messages';

/** How often a handler warns about one job at most: a dead endpoint must not flood the log at every fire. */
export const ALERT_WARNING_INTERVAL_MS = 60_000;

/**
 * Logs warnings of one handler at most once per job per interval; the ones held back are counted and the count is
 * told in the next warning, so that an operator still sees how often delivery fails.
 */
export class AlertWarningThrottle {
  private readonly lastWarnings = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = ALERT_WARNING_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` with `logger.warn` unless one about `jobName` was logged less than an interval ago. */
  warn(jobName: string, message: string): void {
    const now = this.now();
    const last = this.lastWarnings.get(jobName);
    if (last && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastWarnings.set(jobName, { at: now, suppressed: 0 });
    logger.warn(suppressed > 0 ? message + warningsSuppressed(suppressed, this.intervalMs) : message);
  }
}
