import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from './elastic-job.constants';

/** The module's one logger (context `ElasticJob`), shared by every job: thousands of jobs need no logger each. */
export const logger = new Logger(LOGGER_CONTEXT);

/** Lets `work` run on; if it fails, a warning names the job and what failed. */
export function inBackground(work: Promise<unknown>, jobName: string, what: string): void {
  work.catch((error) => logger.warn(`Job "${jobName}": ${what} failed: ${error}`));
}
