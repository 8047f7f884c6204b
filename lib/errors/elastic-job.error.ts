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
