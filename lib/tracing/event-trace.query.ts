import { JobOperationError } from '../errors';
import type { EventTraceCondition, EventTraceResult, TracingPool } from '../interfaces';

const MAX_PER_PAGE = 1000;

/** One table's queryable columns, by field name, and which condition fields apply to it. */
interface TableShape {
  readonly table: string;
  readonly columns: Readonly<Record<string, string>>;
  readonly time: string;
  readonly filters: Readonly<Partial<Record<keyof EventTraceCondition, string>>>;
}

export const EXECUTION_TABLE: TableShape = {
  table: 'JOB_EXECUTION_LOG',
  columns: {
    id: 'id',
    jobName: 'job_name',
    taskId: 'task_id',
    hostname: 'hostname',
    ip: 'ip',
    shardingItem: 'sharding_item',
    executionSource: 'execution_source',
    failureCause: 'failure_cause',
    isSuccess: 'is_success',
    startTime: 'start_time',
    completeTime: 'complete_time',
  },
  time: 'start_time',
  filters: {
    jobName: 'job_name',
    ip: 'ip',
    shardingItem: 'sharding_item',
    isSuccess: 'is_success',
    executionSource: 'execution_source',
    taskId: 'task_id',
  },
};

export const STATUS_TABLE: TableShape = {
  table: 'JOB_STATUS_TRACE_LOG',
  columns: {
    id: 'id',
    jobName: 'job_name',
    originalTaskId: 'original_task_id',
    taskId: 'task_id',
    slaveId: 'slave_id',
    source: 'source',
    executionType: 'execution_type',
    shardingItem: 'sharding_item',
    state: 'state',
    message: 'message',
    creationTime: 'creation_time',
  },
  time: 'creation_time',
  filters: { jobName: 'job_name', ip: 'slave_id', state: 'state', taskId: 'task_id' },
};

/** A page of `shape`'s rows matching `condition`, with the total; rows keyed by field name. */
export async function queryEvents<T>(
  pool: TracingPool,
  shape: TableShape,
  condition: EventTraceCondition = {},
): Promise<EventTraceResult<T>> {
  const values: unknown[] = [];
  const where: string[] = [];
  const fail = (field: string, value: unknown, reason: string): never => {
    throw new JobOperationError(
      `EventTraceHistoryApi: condition ${field} = ${JSON.stringify(value)} ${reason}`,
      condition.jobName,
      field,
    );
  };
  for (const [field, column] of Object.entries(shape.filters) as Array<[keyof EventTraceCondition, string]>) {
    const value = condition[field];
    if (value !== undefined && value !== null && value !== '') {
      values.push(value);
      where.push(`${column} = $${values.length}`);
    }
  }
  if (condition.shardingItem !== undefined && shape === STATUS_TABLE) {
    // `[0, 1, 2]`: the item among those of the execution.
    values.push(`%,${condition.shardingItem},%`);
    where.push(`(',' || replace(trim(both '[]' from sharding_item), ' ', '') || ',') LIKE $${values.length}`);
  }
  for (const [field, op] of [
    ['start', '>='],
    ['end', '<'],
  ] as const) {
    const value = condition[field];
    if (value !== undefined) {
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
        fail(field, value, 'must be a valid Date');
      }
      values.push(value);
      where.push(`${shape.time} ${op} $${values.length}`);
    }
  }
  const page = condition.page ?? 1;
  const perPage = condition.perPage ?? 10;
  if (!Number.isInteger(page) || page < 1) {
    fail('page', page, 'must be an integer >= 1');
  }
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    fail('perPage', perPage, `must be an integer from 1 to ${MAX_PER_PAGE}`);
  }
  const sortColumn = condition.sort ? sortColumnOf(shape, condition.sort) : shape.time;
  if (sortColumn === undefined) {
    fail('sort', condition.sort, `is not a field (one of ${Object.keys(shape.columns).join(', ')})`);
  }
  const order = (condition.order ?? 'DESC').toUpperCase();
  if (order !== 'ASC' && order !== 'DESC') {
    fail('order', condition.order, 'must be ASC or DESC');
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const select = Object.entries(shape.columns)
    .map(([field, column]) => `${column} AS "${field}"`)
    .join(', ');
  // The id breaks ties, so that pages do not overlap when many rows share a time.
  const [count, rows] = await Promise.all([
    pool.query(`SELECT count(*)::int AS total FROM ${shape.table} ${filter}`, values),
    pool.query(
      `SELECT ${select} FROM ${shape.table} ${filter} ORDER BY ${sortColumn} ${order}, id ${order}
       LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
      values,
    ),
  ]);
  return { total: count.rows[0]?.total ?? 0, rows: rows.rows as T[] };
}

function sortColumnOf(shape: TableShape, sort: string): string | undefined {
  const columns = Object.values(shape.columns);
  return shape.columns[sort] ?? columns.find((column) => column === sort.toLowerCase());
}
