import { Pool } from 'pg';
import type { EventTraceCondition, TracingPool } from '../../lib';
import { EXECUTION_TABLE, queryEvents } from '../../lib/tracing/event-trace.query';
import { TRACING_SCHEMA } from '../../lib/tracing/rdb-schema';
import { BenchRow, progress } from '../support/bench-row';
import { latenessOf } from '../support/stats';

/**
 * The query half of the tracing benchmark: `JOB_EXECUTION_LOG` filled by SQL in a schema of its own, with the module's
 * tables and indexes, then `EventTraceHistoryApi.findJobExecutionEvents` timed for the conditions a console asks for.
 * The timed call is `queryEvents(pool, EXECUTION_TABLE, condition)`, what the API runs (its count and its page, in
 * parallel on two connections). Each case's plan (EXPLAIN ANALYZE of both statements) goes into the row's note.
 */

/** A row of the tracing tables: `BenchRow` and what only tracing measures. */
export interface TracingRow extends BenchRow {
  /** Runs of the measured fires with their ended row in `JOB_EXECUTION_LOG`; their rows in `JOB_STATUS_TRACE_LOG`. */
  tracedRuns?: number;
  statusRows?: number;
  /** The tracing queue's counters at the end of the window (since start-up). */
  eventsWritten?: number;
  eventsDropped?: number;
  cpuMsPerSecond?: number;
  /** Rows in the table queried, and how many of them the condition matched (the API's `total`). */
  tableRows?: number;
  matched?: number;
  /** Queries timed. */
  samples?: number;
  /** The p99 the query should stay under (ms). */
  targetMs?: number;
}

const DAY_MS = 86_400_000;
const TARGET_MS = 50;

/** The INSERT of a history of `rows` runs of `jobs` jobs over the last 30 days: run `i` (1..rows), newest first. */
function fillStatement(rows: number, jobs: number): string {
  const job = jobs === 1 ? `'job-42'` : `'job-' || (i % ${jobs})`;
  const ip = `'10.0.0.' || (i % 3 + 1)`;
  // About 5% of the runs failed, each with a stack trace as ElasticJob stores it (about 600 characters).
  const frame = `E'\\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)'`;
  const cause = `'Error: connect ECONNREFUSED 10.0.1.7:5432' || repeat(${frame}, 8)`;
  return `INSERT INTO JOB_EXECUTION_LOG (id, job_name, task_id, hostname, ip, sharding_item, execution_source,
      failure_cause, is_success, start_time, complete_time)
    SELECT md5(i::text)::uuid::text, ${job}, ${job} || '@-@0,1,2@-@READY@-@' || ${ip} || '@-@' || (4000 + i % 3),
      'worker-' || (i % 3 + 1), ${ip}, (i / ${jobs}) % 3,
      CASE WHEN i % 50 = 0 THEN 'MISFIRE' ELSE 'NORMAL_TRIGGER' END,
      CASE WHEN failed THEN ${cause} END, NOT failed, t, t + (20 + i % 500) * interval '1 millisecond'
    FROM (SELECT i, abs(hashtext(i::text)) % 100 < 5 AS failed,
            localtimestamp - interval '30 days' * (i::float8 / ${rows}) AS t
          FROM generate_series(1, ${rows}) AS i) AS history`;
}

/** A pool in `schema` (its own search path) holding the module's tables, filled with `rows` runs of `jobs` jobs. */
async function filledSchema(url: string, schema: string, rows: number, jobs: number): Promise<Pool> {
  const admin = new Pool({ connectionString: url, max: 1 });
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const pool = new Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  const started = Date.now();
  // The tables, the rows, then the indexes: the same end state as rows written into the indexed tables, sooner.
  const [tables, indexes] = [/^CREATE TABLE/, /^CREATE INDEX/].map((kind) =>
    TRACING_SCHEMA.filter((s) => kind.test(s)),
  );
  for (const statement of tables) {
    await pool.query(statement);
  }
  await pool.query(fillStatement(rows, jobs));
  for (const statement of indexes) {
    await pool.query(statement);
  }
  // The statistics, and the visibility map the index-only scans (the counts) rely on.
  await pool.query('VACUUM (ANALYZE) JOB_EXECUTION_LOG');
  progress(`${schema}: ${rows.toLocaleString('en')} rows of ${jobs} job(s) in ${Date.now() - started} ms`);
  return pool;
}

/** Remembers the statements a query ran, to explain them afterwards. */
function recording(pool: Pool): { pool: TracingPool; statements: Array<{ text: string; values?: unknown[] }> } {
  const statements: Array<{ text: string; values?: unknown[] }> = [];
  return {
    statements,
    pool: {
      query: (text: string, values?: unknown[]) => {
        statements.push({ text, values });
        return pool.query(text, values);
      },
      connect: () => pool.connect(),
      end: () => pool.end(),
    },
  };
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

/** `Limit < Incremental Sort < Index Scan Backward (index)`: the nodes of a plan, outermost first, in its order. */
function nodesOf(node: PlanNode): string[] {
  const name = `${node['Node Type']}${node['Scan Direction'] === 'Backward' ? ' Backward' : ''}${
    node['Index Name'] ? ` (${node['Index Name'].toLowerCase()})` : ''
  }`;
  return [name, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/** What PostgreSQL did for each statement of a query: its plan, its execution time, and JIT's time if it compiled. */
async function explain(pool: Pool, statements: Array<{ text: string; values?: unknown[] }>): Promise<string> {
  const parts: string[] = [];
  for (const { text, values } of statements) {
    const { rows } = await pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
    const [plan] = rows[0]['QUERY PLAN'] as Array<{
      Plan: PlanNode;
      'Execution Time': number;
      JIT?: { Timing: { Total: number } };
    }>;
    const kind = /count\(\*\)/.test(text) ? 'count' : 'page';
    const jit = plan.JIT ? `, of which JIT ${plan.JIT.Timing.Total.toFixed(1)} ms` : '';
    parts.push(`${kind}: ${nodesOf(plan.Plan).join(' < ')}, ${plan['Execution Time'].toFixed(1)} ms${jit}`);
  }
  return parts.join('; ');
}

interface QueryCase {
  setup: string;
  condition: EventTraceCondition;
  single?: boolean;
}

async function time(pool: Pool, tableRows: number, c: QueryCase, runs: number): Promise<TracingRow> {
  const traced = recording(pool);
  let matched = 0;
  for (let i = 0; i < 10; i++) {
    matched = (await queryEvents(traced.pool, EXECUTION_TABLE, c.condition)).total;
  }
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await queryEvents(traced.pool, EXECUTION_TABLE, c.condition);
    samples.push(performance.now() - started);
  }
  const row: TracingRow = {
    section: 'tracing-query',
    system: 'nestjs-elasticjob',
    setup: c.setup,
    tableRows,
    matched,
    samples: runs,
    ...latenessOf(samples),
    targetMs: TARGET_MS,
    note: await explain(pool, traced.statements.slice(-2)),
  };
  progress(`${c.setup}: p50 ${row.p50} ms, p99 ${row.p99} ms (${row.note})`);
  return row;
}

/**
 * Fills two schemas of `url`'s database with `rows` rows each (100 jobs; one job) and times the cases, `runs` times
 * each after 10 unmeasured runs.
 */
export async function measureQueries(url: string, rows: number, runs: number): Promise<TracingRow[]> {
  const of100 = `a job of ${(rows / 100).toLocaleString('en')} rows, 100 jobs`;
  const all = rows.toLocaleString('en');
  // The middle page of a job's history.
  const page = Math.max(1, Math.round(rows / 100 / 100 / 2));
  // A day in the middle of the 30, and the day before it.
  const end = new Date(Date.now() - 15 * DAY_MS);
  const day = { start: new Date(end.getTime() - DAY_MS), end };
  const cases: QueryCase[] = [
    { setup: `one job's last 100 executions (${of100})`, condition: { jobName: 'job-42', perPage: 100 } },
    {
      setup: `one job's last 100 failures (isSuccess false, ${of100})`,
      condition: { jobName: 'job-42', isSuccess: false, perPage: 100 },
    },
    { setup: `one job, one day (start/end), first 100`, condition: { jobName: 'job-42', ...day, perPage: 100 } },
    {
      setup: `one job, page ${page} of 100 (offset ${((page - 1) * 100).toLocaleString('en')}, ${of100})`,
      condition: { jobName: 'job-42', page, perPage: 100 },
    },
    { setup: 'every job, one day (start/end), first 100', condition: { ...day, perPage: 100 } },
    { setup: `no filter, first 100 (count of all ${all} rows)`, condition: { perPage: 100 } },
    {
      setup: `one job's last 100 executions, the job owning all ${all} rows`,
      condition: { jobName: 'job-42', perPage: 100 },
      single: true,
    },
  ];
  const pools = {
    jobs: await filledSchema(url, 'history_100_jobs', rows, 100),
    single: await filledSchema(url, 'history_1_job', rows, 1),
  };
  try {
    const measured: TracingRow[] = [];
    for (const c of cases) {
      measured.push(await time(c.single ? pools.single : pools.jobs, rows, c, runs));
    }
    return measured;
  } finally {
    await Promise.all([pools.jobs.end(), pools.single.end()]);
  }
}
