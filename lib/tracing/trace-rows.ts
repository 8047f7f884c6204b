import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobExecutionEvent, JobStatusTraceEvent } from '../executor';
import { ipOf } from '../storage';
import { FAILURE_CAUSE_LENGTH } from './rdb-schema';

/** A row of `JOB_EXECUTION_LOG`: written at an item run's start, and again (the same id) at its end. */
export interface ExecutionRow {
  readonly kind: 'execution';
  readonly id: string;
  readonly jobName: string;
  readonly taskId: string;
  readonly hostname: string;
  readonly ip: string;
  readonly shardingItem: number;
  readonly executionSource: string;
  readonly isSuccess: boolean;
  readonly startTime: Date;
  readonly completeTime: Date | null;
  readonly failureCause: string | null;
}

/** A row of `JOB_STATUS_TRACE_LOG`. */
export interface StatusRow {
  readonly kind: 'status';
  readonly id: string;
  readonly jobName: string;
  readonly taskId: string;
  readonly slaveId: string;
  readonly executionType: string;
  readonly shardingItem: string;
  readonly state: string;
  readonly message: string;
  readonly creationTime: Date;
}

export type TraceRow = ExecutionRow | StatusRow;

const HOSTNAME = hostname().slice(0, 255);

/**
 * The row of an item run's event. Its id is derived from the run (instance, task, item, attempt, start time), which
 * both its events carry: the end updates the row the start inserted, with no state kept in between, and a batch
 * written twice writes the same rows.
 */
export function executionRow(event: JobExecutionEvent): ExecutionRow {
  const { instanceId, taskId, shardingItem, attempt, startTime } = event;
  const ended = event.completeTime !== undefined;
  return {
    kind: 'execution',
    id: runId(`${instanceId}\n${taskId}\n${shardingItem}\n${attempt}\n${startTime}`),
    jobName: event.jobName,
    taskId,
    hostname: HOSTNAME,
    ip: ipOf(instanceId),
    shardingItem,
    executionSource: event.executionSource,
    isSuccess: ended && event.success === true,
    startTime: new Date(startTime),
    completeTime: ended ? new Date(event.completeTime!) : null,
    failureCause: ended && !event.success ? failureCauseOf(event.failureCause) : null,
  };
}

/** The row of a status event, as ElasticJob Lite writes it (`source` LITE_EXECUTOR, no original task id). */
export function statusRow(event: JobStatusTraceEvent): StatusRow {
  return {
    kind: 'status',
    id: randomUUID(),
    jobName: event.jobName,
    taskId: event.taskId,
    slaveId: ipOf(event.instanceId),
    executionType: event.taskId.includes('@-@FAILOVER@-@') ? 'FAILOVER' : 'READY',
    // Java's List#toString, as ElasticJob writes it.
    shardingItem: `[${event.shardingItems.join(', ')}]`.slice(0, 100),
    state: event.state,
    message: event.message.slice(0, FAILURE_CAUSE_LENGTH),
    creationTime: new Date(event.time),
  };
}

/** The failure as ElasticJob stores it: the stack trace (or the message), cut to the column's 4,000 characters. */
export function failureCauseOf(cause: unknown): string {
  const text =
    cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause ?? 'unknown failure');
  return text.length > FAILURE_CAUSE_LENGTH ? text.slice(0, FAILURE_CAUSE_LENGTH) : text;
}

/** A UUID-shaped id (36 characters, within the 40 of `id`) hashed from `key`. */
function runId(key: string): string {
  const hex = createHash('sha1').update(key).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
