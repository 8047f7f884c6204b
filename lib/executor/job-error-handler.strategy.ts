import { jobFailed } from '../elastic-job.messages';
import { JobErrorHandler } from '../interfaces';
import { logger } from '../elastic-job.logger';

/** `LOG` (default): logs the error with its stack and goes on. */
export class LogJobErrorHandler implements JobErrorHandler {
  readonly type = 'LOG';

  handleException(jobName: string, error: unknown, item = -1): void {
    logger.error(jobFailed(jobName, item, error));
  }
}

/** `THROW`: rethrows, so the execution fails (its promise rejects and the failure is logged once more). */
export class ThrowJobErrorHandler implements JobErrorHandler {
  readonly type = 'THROW';

  handleException(_jobName: string, error: unknown): void {
    throw error;
  }
}

/** `IGNORE`: swallows the error. */
export class IgnoreJobErrorHandler implements JobErrorHandler {
  readonly type = 'IGNORE';

  handleException(): void {
    // Deliberately nothing.
  }
}

/** Built-in handlers plus the custom ones from the module options, by type. */
export function buildErrorHandlers(custom: JobErrorHandler[] = []): Map<string, JobErrorHandler> {
  const handlers = [new LogJobErrorHandler(), new ThrowJobErrorHandler(), new IgnoreJobErrorHandler(), ...custom];
  return new Map(handlers.map((handler) => [handler.type, handler]));
}
