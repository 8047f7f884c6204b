import { settingsPerProps } from '../config';
import { logger } from '../elastic-job.logger';
import { jobFailed } from '../elastic-job.messages';
import type { ItemAttempt, JobErrorContext, JobErrorHandler } from '../interfaces';
import type { AlertBatch } from './alert-batch.interface';
import { AlertBatcher } from './alert.batcher';
import { alertDelivered, alertNotDelivered, alertWithoutContext } from './alert.messages';
import { AlertWarningThrottle } from './alert-warning.throttle';

/** Timings of an alert handler; the defaults suit production, tests shorten them. */
export interface AlertHandlerOptions {
  /** Wait after the last failure of an execution before its alert goes. Default 200 ms. */
  readonly quietMs?: number;
  /** Wait at most after the first failure of an execution. Default 2000 ms. */
  readonly maxWaitMs?: number;
  /** At most one warning about undelivered alerts per job per this interval. Default 60000 ms. */
  readonly warningIntervalMs?: number;
  /** The clock of the warning interval. Default `Date.now`. */
  readonly now?: () => number;
}

/** An error handler with pending work to send and connections to close at shutdown. */
export interface FlushableJobErrorHandler extends JobErrorHandler {
  /** Sends what is pending; resolves when it is delivered or has failed. */
  flush(): Promise<void>;
  /** Flushes, then closes connections. */
  close(): Promise<void>;
}

/**
 * What every alert handler does: logs the failure as `LOG` does, skips failed attempts that are retried (only an
 * item's last failure alerts), collects the failures of one execution into one message, and delivers it in the
 * background: the job never waits for an alert, and an alert that fails is a throttled warning, never a job failure.
 * A subclass reads its settings from the props and delivers one batch.
 */
export abstract class AlertJobErrorHandler<Settings> implements FlushableJobErrorHandler {
  abstract readonly type: string;
  // Props are read at each failure, as an operator may change them live; parsing once per props object is enough.
  private readonly settingsOf = settingsPerProps((jobName, props) => this.readSettings(jobName, props));
  private readonly batcher: AlertBatcher;
  private readonly warnings: AlertWarningThrottle;
  private readonly deliveries = new Set<Promise<void>>();

  constructor(options: AlertHandlerOptions = {}) {
    this.batcher = new AlertBatcher((batch) => this.send(batch), options.quietMs, options.maxWaitMs);
    this.warnings = new AlertWarningThrottle(options.warningIntervalMs, options.now);
  }

  /** Reads and checks this handler's settings; throws a JobConfigurationError naming the job and the prop. */
  protected abstract readSettings(jobName: string, props: Readonly<Record<string, string>>): Settings;

  /** Delivers one batch; rejects with an Error saying why it could not. */
  protected abstract deliver(batch: AlertBatch, settings: Settings): Promise<void>;

  /** Releases connections (agents, transporters) once nothing is being delivered. */
  protected abstract release(): Promise<void>;

  /** Where an alert went, for the debug log; without secrets. */
  protected abstract destination(settings: Settings): string;

  checkProps(jobName: string, props: Readonly<Record<string, string>>): void {
    this.settingsOf(jobName, props);
  }

  /** Returns at once: the alert is collected, and sent later in the background. */
  handleException(
    jobName: string,
    error: unknown,
    shardingItem = -1,
    attempt?: ItemAttempt,
    context?: JobErrorContext,
  ): void {
    try {
      if (attempt?.retryInMilliseconds !== undefined) {
        logger.warn(jobFailed(jobName, shardingItem, error, attempt));
        return;
      }
      logger.error(jobFailed(jobName, shardingItem, error, attempt));
      if (!context) {
        this.warnings.warn(jobName, alertNotDelivered(this.type, jobName, alertWithoutContext));
        return;
      }
      this.batcher.add(context, { shardingItem, error });
    } catch (unexpected) {
      // An alert handler must never fail the job, whatever it was given.
      this.warnings.warn(jobName, alertNotDelivered(this.type, jobName, String(unexpected)));
    }
  }

  /** Sends the pending alerts now, and resolves when every alert under way is delivered or has failed. */
  async flush(): Promise<void> {
    this.batcher.flush();
    while (this.deliveries.size > 0) {
      await Promise.all(this.deliveries);
    }
  }

  /** Sends the pending alerts, then closes connections; for shutdown. A later failure opens new connections. */
  async close(): Promise<void> {
    await this.flush();
    await this.release();
  }

  private send(batch: AlertBatch): void {
    const { jobName, props } = batch.context;
    const delivery: Promise<void> = (async () => {
      const settings = this.settingsOf(jobName, props);
      await this.deliver(batch, settings);
      logger.debug(alertDelivered(this.type, jobName, batch.failures.length, this.destination(settings)));
    })()
      .catch((error) => this.warnings.warn(jobName, alertNotDelivered(this.type, jobName, errorText(error))))
      .finally(() => this.deliveries.delete(delivery));
    this.deliveries.add(delivery);
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
