import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobExecutionEvent, JobStatusTraceEvent } from '../executor';
import { ipOf } from '../storage';
import { FAILURE_CAUSE_LENGTH } from './rdb-schema';

/** What tracing queues: the pipeline's events as they come (their rows are built when written). */
export type TraceEvent = JobExecutionEvent | JobStatusTraceEvent;

/** A row of `JOB_EXECUTION_LOG` (its columns): written at an item run's start, and again (the same id) at its end. */
export interface ExecutionRow {
  readonly id: string;
  readonly job_name: string;
  readonly task_id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly sharding_item: number;
  readonly execution_source: string;
  readonly is_success: boolean;
  readonly start_time: string;
  readonly complete_time: string | null;
  readonly failure_cause: string | null;
}

/** A row of `JOB_STATUS_TRACE_LOG` (its columns, but for the constant `original_task_id` and `source`). */
export interface StatusRow {
  readonly id: string;
  readonly job_name: string;
  readonly task_id: string;
  readonly slave_id: string;
  readonly execution_type: string;
  readonly sharding_item: string;
  readonly state: string;
  readonly message: string;
  readonly creation_time: string;
}

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
    id: runId(`${instanceId}\n${taskId}\n${shardingItem}\n${attempt}\n${startTime}`),
    job_name: event.jobName,
    task_id: taskId,
    hostname: HOSTNAME,
    ip: ipOf(instanceId),
    sharding_item: shardingItem,
    execution_source: event.executionSource,
    is_success: ended && event.success === true,
    start_time: localTimestamp(startTime),
    complete_time: ended ? localTimestamp(event.completeTime!) : null,
    failure_cause: ended && !event.success ? failureCauseOf(event.failureCause) : null,
  };
}

/** The row of a status event, as ElasticJob Lite writes it (`source` LITE_EXECUTOR, no original task id). */
export function statusRow(event: JobStatusTraceEvent): StatusRow {
  return {
    id: randomUUID(),
    job_name: event.jobName,
    task_id: event.taskId,
    slave_id: ipOf(event.instanceId),
    execution_type: event.taskId.includes('@-@FAILOVER@-@') ? 'FAILOVER' : 'READY',
    // Java's List#toString, as ElasticJob writes it.
    sharding_item: `[${event.shardingItems.join(', ')}]`.slice(0, 100),
    state: event.state,
    message: event.message.slice(0, FAILURE_CAUSE_LENGTH),
    creation_time: localTimestamp(event.time),
  };
}

/** The failure as ElasticJob stores it: the stack trace (or the message), cut to the column's 4,000 characters. */
export function failureCauseOf(cause: unknown): string {
  const text =
    cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause ?? 'unknown failure');
  return text.length > FAILURE_CAUSE_LENGTH ? text.slice(0, FAILURE_CAUSE_LENGTH) : text;
}

/**
 * A `TIMESTAMP` (without zone) in this process's local time, as ElasticJob (Java) writes them and as `pg` reads them
 * back into a `Date`.
 */
export function localTimestamp(ms: number): string {
  const d = new Date(ms);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** A UUID-shaped id (36 characters, within the 40 of `id`) hashed from `key`. */
function runId(key: string): string {
  const hex = createHash('sha1').update(key).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
