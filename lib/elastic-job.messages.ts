/** Factories of every user-facing message, so wording stays consistent and each names the job and the field. */
const quote = (value: unknown) => JSON.stringify(value);

export const invalidJobField = (jobName: string, field: string, value: unknown, reason: string) =>
  `Job ${quote(jobName)}: invalid "${field}" ${quote(value)}: ${reason}`;

export const missingJobField = (jobName: string, field: string) => `Job ${quote(jobName)}: "${field}" is required`;

export const duplicateJobName = (jobName: string, first: string, second: string) =>
  `Job ${quote(jobName)}: duplicate "name": declared by ${first} and by ${second}; job names must be unique in a namespace`;

export const missingJobHandler = (jobName: string) =>
  `Job ${quote(jobName)}: no handler: "jobs.${jobName}" in the module options matches no @ElasticJob method (a job declared by configuration alone needs "elasticJobType": "SCRIPT" or "HTTP")`;

export const handlerAndJobType = (jobName: string, source: string, type: unknown) =>
  `Job ${quote(jobName)}: "elasticJobType" ${quote(type)} is for jobs declared by configuration alone, but ${source} declares a handler for it; remove one of them`;

export const invalidModuleOption = (field: string, value: unknown, reason: string) =>
  `ElasticJobModule: invalid option "${field}" ${quote(value)}: ${reason}`;

export const registryUnreachable = (
  serverLists: string,
  namespace: string,
  attempts: number,
  elapsedMs: number,
  cause: string,
) =>
  `ZooKeeper unreachable: could not connect to "${serverLists}" (registryCenter.serverLists, namespace ${quote(
    namespace,
  )}) in ${attempts} attempt(s) over ${elapsedMs} ms: ${cause}`;

export const jobFailed = (
  jobName: string,
  item: number,
  error: unknown,
  attempt?: { attempt: number; maxAttempts: number; retryInMilliseconds?: number },
) =>
  `Job ${quote(jobName)} item ${item} failed${
    attempt
      ? ` (attempt ${attempt.attempt} of ${attempt.maxAttempts}${
          attempt.retryInMilliseconds === undefined ? '' : `; retrying in ${attempt.retryInMilliseconds} ms`
        })`
      : ''
  }: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;

export const requestScopedJob = (className: string, methodName: string) =>
  `@ElasticJob on ${className}.${methodName} is ignored: request-scoped providers cannot host jobs`;

export const scriptNeedsShell = (jobName: string, field: string, commandLine: string, token: string) =>
  invalidJobField(
    jobName,
    field,
    commandLine,
    `${quote(token)} is shell syntax, but commands run without a shell: write sh -c '...' explicitly`,
  );

export const scriptCommandNotFound = (jobName: string, field: string, commandLine: string, command: string) =>
  invalidJobField(jobName, field, commandLine, `command ${quote(command)} is not found or not executable`);

export const scriptJobFailed = (jobName: string, item: number, how: string, stderrTail: string) =>
  `Job ${quote(jobName)} item ${item}: the script ${how}${stderrTail ? `; its standard error ends with:\n${stderrTail}` : ''}`;

export const clockTooFarOff = (jobName: string, offsetMs: number, maxTimeDiffSeconds: number) =>
  `Job ${quote(jobName)}: "maxTimeDiffSeconds" ${maxTimeDiffSeconds}: the local clock is ${(
    Math.abs(offsetMs) / 1000
  ).toFixed(1)} s ${offsetMs > 0 ? 'ahead of' : 'behind'} ZooKeeper's; fix the clock (NTP) or raise maxTimeDiffSeconds`;

export const unknownJob = (jobName: string, namespace: string) =>
  `Job ${quote(jobName)}: no such job in namespace ${quote(namespace)} (no "config" node)`;

export const unknownServer = (jobName: string | undefined, serverIp: string, namespace: string) =>
  jobName === undefined
    ? `Server ${quote(serverIp)}: no job of namespace ${quote(namespace)} is registered on it`
    : `Job ${quote(jobName)}: server ${quote(serverIp)} is not registered for it`;

export const unknownItem = (jobName: string, item: unknown, shardingTotalCount: number) =>
  `Job ${quote(jobName)}: invalid "item" ${quote(item)}: must be an integer from 0 to ${
    shardingTotalCount - 1
  } (shardingTotalCount ${shardingTotalCount})`;

export const missingOperationTarget = (operation: string) => `${operation}: give a job name, a server ip, or both`;

export const nothingToTrigger = (jobName: string) =>
  `Job ${quote(jobName)}: no instance runs it, nothing to trigger (start an application that declares it)`;

export const httpJobStatus = (
  jobName: string,
  item: number,
  method: string,
  url: string,
  status: number,
  body: string,
) => `Job ${quote(jobName)} item ${item}: HTTP ${method} ${url} answered status ${status}${body ? `: ${body}` : ''}`;

export const httpJobRequestFailed = (jobName: string, item: number, method: string, url: string, cause: string) =>
  `Job ${quote(jobName)} item ${item}: HTTP ${method} ${url} failed: ${cause}`;
