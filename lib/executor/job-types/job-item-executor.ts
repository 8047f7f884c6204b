import type { ResolvedJobConfiguration, ShardingContext } from '../../interfaces';

/** What a run of one item can ask while it runs: whether to go on. */
export interface ItemRun {
  /** Whether the item is still this instance's and the instance is not shutting down. */
  isCurrent(): boolean;
  /** Whether the job streams (dataflow `streaming.process`), from its live configuration. */
  isStreaming(): boolean;
  /** The job's configuration in force (live: replaced when it changes in the registry), e.g. to read its `props`. */
  configuration(): ResolvedJobConfiguration;
}

/**
 * How one type of job runs one sharding item (ElasticJob's `JobItemExecutor`): a simple job calls its handler, a
 * dataflow job fetches and processes. The fire pipeline calls it once per item; a new job type is a new executor.
 */
export interface JobItemExecutor {
  /** ElasticJob's name of the type (`SIMPLE`, `DATAFLOW`, ...). */
  readonly type: string;
  /** Runs the item; returns synchronously when it can (a synchronous handler), else a promise. */
  execute(context: ShardingContext, run: ItemRun): unknown;
  /** Frees what the executor holds (connections), once the job has stopped on this instance. */
  close?(): Promise<void> | void;
}

/** A job's handler: called once per sharding item assigned to this instance. */
export type JobHandler = (context: ShardingContext) => unknown;

/** A simple job: the handler, called with the item's context. */
export class SimpleJobExecutor implements JobItemExecutor {
  readonly type = 'SIMPLE';

  constructor(private readonly handler: JobHandler) {}

  execute(context: ShardingContext): unknown {
    return this.handler(context);
  }
}

export const simpleJobExecutor = (handler: JobHandler): JobItemExecutor => new SimpleJobExecutor(handler);
