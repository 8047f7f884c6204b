import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from '../elastic-job.constants';
import { jobFailed } from '../elastic-job.messages';
import { JobErrorHandler } from '../interfaces';

/** `LOG` (default): logs the error with its stack and goes on. */
export class LogJobErrorHandler implements JobErrorHandler {
  readonly type = 'LOG';
  private readonly logger = new Logger(LOGGER_CONTEXT);

  handleException(jobName: string, error: unknown, item = -1): void {
    this.logger.error(jobFailed(jobName, item, error));
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
