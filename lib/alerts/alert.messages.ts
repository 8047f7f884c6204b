/** Wording of what the alert handlers log about themselves, so that each line names the job and the handler. */
const quote = (value: unknown) => JSON.stringify(value);

export const alertNotDelivered = (type: string, jobName: string, cause: string) =>
  `Job ${quote(jobName)}: the ${type} alert was not delivered: ${cause}`;

export const alertDelivered = (type: string, jobName: string, failures: number, where: string) =>
  `Job ${quote(jobName)}: ${type} alert of ${failures} failure(s) delivered to ${where}`;

export const alertWithoutContext =
  'the error handler was called without the execution context, which an alert needs (its props and its execution)';

export const warningsSuppressed = (count: number, intervalMs: number) =>
  ` (${count} more such warning(s) in the last ${Math.round(intervalMs / 1000)} s were not logged)`;
