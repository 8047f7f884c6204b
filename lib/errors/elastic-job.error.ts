/** Base class of every error thrown by nestjs-elasticjob. */
export class ElasticJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A job configuration (decorator, module option or ZooKeeper) is invalid. Names the job and the field. */
export class JobConfigurationError extends ElasticJobError {
  constructor(
    message: string,
    /** The job the error is about. */
    readonly jobName: string,
    /** The configuration field at fault. */
    readonly field: string,
  ) {
    super(message);
  }
}

/** The module options are invalid (not tied to one job). */
export class ModuleOptionsError extends ElasticJobError {
  constructor(
    message: string,
    /** The option at fault. */
    readonly field: string,
  ) {
    super(message);
  }
}

/** An operation of the operations APIs (or the CLI) cannot be done: unknown job, server or item, or a bad argument. */
export class JobOperationError extends ElasticJobError {
  constructor(
    message: string,
    /** The job the error is about, if one. */
    readonly jobName: string | undefined,
    /** The argument at fault (`jobName`, `serverIp`, `item`, ...). */
    readonly field: string,
  ) {
    super(message);
  }
}

/** A script job's command failed for one item: it exited non-zero, was killed (timeout, abort), or did not start. */
export class ScriptJobError extends ElasticJobError {
  constructor(
    message: string,
    readonly jobName: string,
    readonly shardingItem: number,
    /** The exit code; `null` when the process was killed by a signal or never started. */
    readonly exitCode: number | null,
    /** The signal that ended the process, if one did. */
    readonly signal: NodeJS.Signals | null,
    /** The last lines of its standard error (at most 4 KB). */
    readonly stderr: string,
    /** Whether `script.timeout.milliseconds` ran out. */
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

/** An HTTP job's request failed for one item: a status >= 400, a timeout, or no connection. */
export class HttpJobError extends ElasticJobError {
  constructor(
    message: string,
    readonly jobName: string,
    readonly shardingItem: number,
    /** The response's status; `undefined` when no response came. */
    readonly status: number | undefined,
    /** The start of the response body (at most 1 KB), or `''`. */
    readonly body: string,
  ) {
    super(message);
  }
}
