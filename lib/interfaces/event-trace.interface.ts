import type { ExecutionSource } from './sharding-context.interface';

/** A query of the tracing tables (`EventTraceHistoryApi`); every field is optional. */
export interface EventTraceCondition {
  jobName?: string;
  /** Execution rows: the instance's IP; status rows: their `slaveId` (the IP as well). */
  ip?: string;
  shardingItem?: number;
  /** Execution rows only. */
  isSuccess?: boolean;
  /** Execution rows only. */
  executionSource?: ExecutionSource;
  /** Status rows only: `TASK_STAGING`, `TASK_RUNNING`, `TASK_FINISHED`, `TASK_ERROR`. */
  state?: string;
  taskId?: string;
  /** Rows from this time on (start time of executions, creation time of status rows), inclusive. */
  start?: Date;
  /** Rows before this time, exclusive. */
  end?: Date;
  /** From 1. Default: `1`. */
  page?: number;
  /** Default: `10`; at most `1000`. */
  perPage?: number;
  /** A field of the rows (`startTime`, `jobName`, ...; the column names work too). Default: the time, newest first. */
  sort?: string;
  /** Default: `DESC`. */
  order?: 'ASC' | 'DESC';
}

/** A page of rows and how many match in all. */
export interface EventTraceResult<T> {
  total: number;
  rows: T[];
}

/** A row of `JOB_EXECUTION_LOG`: one run (one attempt) of one item. */
export interface JobExecutionEventRow {
  id: string;
  jobName: string;
  taskId: string;
  hostname: string;
  ip: string;
  shardingItem: number;
  executionSource: string;
  failureCause: string | null;
  isSuccess: boolean;
  startTime: Date | null;
  completeTime: Date | null;
}

/** A row of `JOB_STATUS_TRACE_LOG`: a step of one execution on one instance. */
export interface JobStatusTraceEventRow {
  id: string;
  jobName: string;
  originalTaskId: string;
  taskId: string;
  slaveId: string;
  /** Always `LITE_EXECUTOR` for ElasticJob Lite and this module. */
  source: string;
  executionType: string;
  /** The execution's items on that instance, as ElasticJob writes them: `[0, 1, 2]`. */
  shardingItem: string;
  state: string;
  message: string | null;
  creationTime: Date | null;
}
