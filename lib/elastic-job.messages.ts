/** Factories of every user-facing message, so wording stays consistent and each names the job and the field. */
const quote = (value: unknown) => JSON.stringify(value);

export const invalidJobField = (jobName: string, field: string, value: unknown, reason: string) =>
  `Job ${quote(jobName)}: invalid "${field}" ${quote(value)}: ${reason}`;

export const missingJobField = (jobName: string, field: string) => `Job ${quote(jobName)}: "${field}" is required`;

export const duplicateJobName = (jobName: string, first: string, second: string) =>
  `Job ${quote(jobName)}: duplicate "name": declared by ${first} and by ${second}; job names must be unique in a namespace`;

export const missingJobHandler = (jobName: string) =>
  `Job ${quote(jobName)}: no handler: "jobs.${jobName}" in the module options matches no @ElasticJob method`;

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

export const jobFailed = (jobName: string, item: number, error: unknown) =>
  `Job ${quote(jobName)} item ${item} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;

export const requestScopedJob = (className: string, methodName: string) =>
  `@ElasticJob on ${className}.${methodName} is ignored: request-scoped providers cannot host jobs`;

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
