import type { TracingPool } from '../interfaces';
import { SCHEMA_LOCK_KEY, TRACING_SCHEMA } from './rdb-schema';
import type { ExecutionRow, StatusRow, TraceRow } from './trace-rows';

/**
 * Writes trace rows to PostgreSQL in batches, one statement per table. Every write is idempotent: an execution row
 * is inserted, or updated by its end (never back to a start); a status row is inserted once. A batch that failed can
 * be written again.
 */
export class RdbEventStorage {
  private schema?: Promise<void>;

  constructor(readonly pool: TracingPool) {}

  /** Creates the tables and indexes when missing (once; again after a failure). */
  ready(): Promise<void> {
    this.schema ??= this.createSchema().catch((error) => {
      this.schema = undefined;
      throw error;
    });
    return this.schema;
  }

  async write(rows: readonly TraceRow[]): Promise<void> {
    await this.ready();
    const executions = new Map<string, ExecutionRow>();
    const statuses: StatusRow[] = [];
    for (const row of rows) {
      if (row.kind === 'status') {
        statuses.push(row);
      } else if (row.completeTime !== null || !executions.has(row.id)) {
        // A run's end in the same batch as its start: one row, the end's.
        executions.set(row.id, row);
      }
    }
    if (executions.size > 0) {
      await this.writeExecutions([...executions.values()]);
    }
    if (statuses.length > 0) {
      await this.writeStatuses(statuses);
    }
  }

  private async writeExecutions(rows: readonly ExecutionRow[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO JOB_EXECUTION_LOG (id, job_name, task_id, hostname, ip, sharding_item, execution_source,
         is_success, start_time, complete_time, failure_cause)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::int[],
         $7::varchar[], $8::boolean[], $9::timestamp[], $10::timestamp[], $11::varchar[])
       ON CONFLICT (id) DO UPDATE SET is_success = EXCLUDED.is_success, complete_time = EXCLUDED.complete_time,
         failure_cause = EXCLUDED.failure_cause
       WHERE EXCLUDED.complete_time IS NOT NULL`,
      [
        rows.map((row) => row.id),
        rows.map((row) => row.jobName),
        rows.map((row) => row.taskId),
        rows.map((row) => row.hostname),
        rows.map((row) => row.ip),
        rows.map((row) => row.shardingItem),
        rows.map((row) => row.executionSource),
        rows.map((row) => row.isSuccess),
        rows.map((row) => row.startTime),
        rows.map((row) => row.completeTime),
        rows.map((row) => row.failureCause),
      ],
    );
  }

  private async writeStatuses(rows: readonly StatusRow[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO JOB_STATUS_TRACE_LOG (id, job_name, original_task_id, task_id, slave_id, source, execution_type,
         sharding_item, state, message, creation_time)
       SELECT id, job_name, '', task_id, slave_id, 'LITE_EXECUTOR', execution_type, sharding_item, state, message,
         creation_time
       FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
         $7::varchar[], $8::varchar[], $9::timestamp[])
         AS t (id, job_name, task_id, slave_id, execution_type, sharding_item, state, message, creation_time)
       ON CONFLICT (id) DO NOTHING`,
      [
        rows.map((row) => row.id),
        rows.map((row) => row.jobName),
        rows.map((row) => row.taskId),
        rows.map((row) => row.slaveId),
        rows.map((row) => row.executionType),
        rows.map((row) => row.shardingItem),
        rows.map((row) => row.state),
        rows.map((row) => row.message),
        rows.map((row) => row.creationTime),
      ],
    );
  }

  /** In one transaction under an advisory lock: instances starting together do not race on `CREATE ... IF NOT EXISTS`. */
  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      for (const statement of TRACING_SCHEMA) {
        await client.query(statement);
      }
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(error as Error);
      throw error;
    }
  }
}
