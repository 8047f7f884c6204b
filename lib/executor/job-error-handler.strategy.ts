import { buildAlertHandlers } from '../alerts';
import { jobFailed } from '../elastic-job.messages';
import { ItemAttempt, JobErrorHandler } from '../interfaces';
import { logger } from '../elastic-job.logger';

/** `LOG` (default): logs the error with its stack and goes on. */
export class LogJobErrorHandler implements JobErrorHandler {
  readonly type = 'LOG';

  handleException(jobName: string, error: unknown, item = -1, attempt?: ItemAttempt): void {
    if (attempt?.retryInMilliseconds !== undefined) {
      logger.warn(jobFailed(jobName, item, error, attempt));
    } else {
      logger.error(jobFailed(jobName, item, error, attempt));
    }
  }
}

/**
 * `THROW`: rethrows, so the execution fails (its promise rejects and the failure is logged once more); a failed
 * attempt that is retried is not the item's failure, and is not rethrown.
 */
export class ThrowJobErrorHandler implements JobErrorHandler {
  readonly type = 'THROW';

  handleException(_jobName: string, error: unknown, _item?: number, attempt?: ItemAttempt): void {
    if (attempt?.retryInMilliseconds === undefined) {
      throw error;
    }
  }
}

/** `IGNORE`: swallows the error. */
export class IgnoreJobErrorHandler implements JobErrorHandler {
  readonly type = 'IGNORE';

  handleException(): void {
    // Deliberately nothing.
  }
}

/**
 * Built-in handlers (`LOG`, `THROW`, `IGNORE`, then the alerts `DINGTALK`, `WECHAT`, `SLACK`, `WEBHOOK`, `EMAIL`) plus
 * the custom ones from the module options, by type. The alerts have `close()`, for shutdown (`closeAlertHandlers`).
 */
export function buildErrorHandlers(custom: JobErrorHandler[] = []): Map<string, JobErrorHandler> {
  const handlers = [
    new LogJobErrorHandler(),
    new ThrowJobErrorHandler(),
    new IgnoreJobErrorHandler(),
    ...buildAlertHandlers(),
    ...custom,
  ];
  return new Map(handlers.map((handler) => [handler.type, handler]));
}
