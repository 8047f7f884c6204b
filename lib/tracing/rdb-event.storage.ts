import type { TracingPool } from '../interfaces';
import { SCHEMA_LOCK_KEY, TRACING_SCHEMA } from './rdb-schema';
import { ExecutionRow, executionRow, StatusRow, statusRow, TraceEvent } from './trace-rows';

/**
 * Writes trace events to PostgreSQL in batches, one statement per table. Every write is idempotent: an execution row
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

  /** Writes the events' rows (built here, off the fire path). */
  async write(events: readonly TraceEvent[]): Promise<void> {
    await this.ready();
    const executions = new Map<string, ExecutionRow>();
    const statuses: StatusRow[] = [];
    for (const event of events) {
      if (event.kind === 'status') {
        statuses.push(statusRow(event));
        continue;
      }
      const row = executionRow(event);
      if (row.complete_time !== null || !executions.has(row.id)) {
        // A run's end in the same batch as its start: one row, the end's.
        executions.set(row.id, row);
      }
    }
    // One JSON parameter per table: far cheaper to send than one array per column.
    if (executions.size > 0) {
      await this.pool.query(
        `INSERT INTO JOB_EXECUTION_LOG (id, job_name, task_id, hostname, ip, sharding_item, execution_source,
           is_success, start_time, complete_time, failure_cause)
         SELECT * FROM json_to_recordset($1::json) AS t (id varchar, job_name varchar, task_id varchar,
           hostname varchar, ip varchar, sharding_item int, execution_source varchar, is_success boolean,
           start_time timestamp, complete_time timestamp, failure_cause varchar)
         ON CONFLICT (id) DO UPDATE SET is_success = EXCLUDED.is_success, complete_time = EXCLUDED.complete_time,
           failure_cause = EXCLUDED.failure_cause
         WHERE EXCLUDED.complete_time IS NOT NULL`,
        [JSON.stringify([...executions.values()])],
      );
    }
    if (statuses.length > 0) {
      await this.pool.query(
        `INSERT INTO JOB_STATUS_TRACE_LOG (id, job_name, original_task_id, task_id, slave_id, source, execution_type,
           sharding_item, state, message, creation_time)
         SELECT id, job_name, '', task_id, slave_id, 'LITE_EXECUTOR', execution_type, sharding_item, state, message,
           creation_time
         FROM json_to_recordset($1::json) AS t (id varchar, job_name varchar, task_id varchar, slave_id varchar,
           execution_type varchar, sharding_item varchar, state varchar, message varchar, creation_time timestamp)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(statuses)],
      );
    }
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
