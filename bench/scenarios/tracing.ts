import Table from 'cli-table3';
import { join } from 'node:path';
import { Pool } from 'pg';
import { AppProcess } from '../../test/support/app-process';
import { ZookeeperTestServer } from '../../test/support/zookeeper-server';
import { RunAudit } from '../support/audit';
import { progress, quickMode, runScenario } from '../support/bench-row';
import { ensurePostgres } from '../support/services';
import { latenessOf, round } from '../support/stats';
import { measureQueries, TracingRow } from './tracing-queries';

/**
 * The cost of execution tracing. On the fire path: the lateness benchmark's worker (`lateness-worker.ts`), N jobs x 1
 * item on a 1-second cron in one process with monitorExecution off, without tracing and tracing into a fresh
 * PostgreSQL database, the same fires, in turn (twice each, once with `--quick`); each traced run of the measured fires
 * is looked up in the tables afterwards. Then the query API's latency over a history of 1,000,000 runs
 * (`tracing-queries.ts`). The database (`elasticjob_bench_tracing` on the machine's PostgreSQL) is dropped at the end.
 */
const WORKER = join(__dirname, 'lateness-worker.js');
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'elasticjob_bench_tracing';
const TRACING_URL = Object.assign(new URL(PG_URL), { pathname: `/${DATABASE}` }).toString();
/** Status rows per run of a 1-item job: TASK_STAGING, TASK_RUNNING, TASK_FINISHED. */
const STATUS_ROWS_PER_RUN = 3;

async function onServer(sql: string): Promise<void> {
  const admin = new Pool({ connectionString: PG_URL, max: 1 });
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Runs of the fires `from`..`to` (epoch seconds) in the tables: every run starts within its fire's second. */
async function tracedRows(from: number, to: number): Promise<{ tracedRuns: number; statusRows: number }> {
  const db = new Pool({ connectionString: TRACING_URL, max: 1 });
  const window = [new Date(from * 1000), new Date((to + 1) * 1000)];
  try {
    const executions = await db.query(
      'SELECT count(*)::int AS n FROM JOB_EXECUTION_LOG WHERE start_time >= $1 AND start_time < $2 AND is_success',
      window,
    );
    const statuses = await db.query(
      'SELECT count(*)::int AS n FROM JOB_STATUS_TRACE_LOG WHERE creation_time >= $1 AND creation_time < $2',
      window,
    );
    return { tracedRuns: executions.rows[0].n, statusRows: statuses.rows[0].n };
  } finally {
    await db.end();
  }
}

interface FireCase {
  jobs: number;
  fires: number;
  traced: boolean;
  /** 1, 2, ...: the turn of this setting. */
  round: number;
  rounds: number;
}

async function measureFires(zk: ZookeeperTestServer, c: FireCase): Promise<TracingRow> {
  const { jobs, fires, traced } = c;
  const env: Record<string, string> = {
    SYSTEM: 'elasticjob',
    JOBS: String(jobs),
    ITEMS: '1',
    MONITOR: 'off',
    ZK_SERVERS: zk.connectString,
    ZK_NAMESPACE: `tracing-${traced ? 'on' : 'off'}-${c.round}`,
    ...(traced && { TRACING_URL }),
  };
  const worker = AppProcess.spawn(`tracing ${traced ? 'on' : 'off'}`, ['--expose-gc', WORKER], env, undefined, true);
  try {
    const ready = await worker.waitForEvent('ready', 180_000);
    const from = Math.floor(Date.now() / 1000) + 2;
    const to = from + fires - 1;
    worker.send(`measure ${from} ${to}`);
    const done = await worker.waitForEvent('done', (fires + 30) * 1000);
    const audit = new RunAudit();
    audit.merge(done.counts as Record<string, number>);
    const verdict = audit.verdict(
      Array.from({ length: jobs }, (_, job) => job),
      1,
      Array.from({ length: fires }, (_, i) => from + i),
    );
    const row: TracingRow = {
      section: 'tracing',
      system: 'nestjs-elasticjob',
      setup: `${jobs.toLocaleString('en')} jobs, 1 instance, monitorExecution off, tracing ${
        traced ? 'on (PostgreSQL, defaults)' : 'off'
      }${c.rounds > 1 ? `, run ${c.round} of ${c.rounds}` : ''}`,
      jobs,
      instances: 1,
      fires,
      ...latenessOf(done.samples as number[]),
      ...verdict,
      startupMs: Number(ready.startupMs),
      loopDelayP99: round(Number(done.loopDelayP99), 1),
      cpuMsPerSecond: round(Number(done.cpuMsPerSecond), 0),
    };
    if (traced) {
      const stats = done.tracing as { written: number; dropped: number; queued: number };
      Object.assign(row, await tracedRows(from, to), { eventsWritten: stats.written, eventsDropped: stats.dropped });
      const n = (value: number) => value.toLocaleString('en');
      row.note =
        `${n(row.tracedRuns!)} of ${n(verdict.runs)} runs of the measured fires have their row (ended, success), ` +
        `${n(row.statusRows!)} of ${n(verdict.runs * STATUS_ROWS_PER_RUN)} status rows; the queue at the window's ` +
        `end: ${n(stats.written)} events written since start-up, ${n(stats.dropped)} dropped, ` +
        `${n(stats.queued)} queued`;
    }
    progress(`tracing ${traced ? 'on' : 'off'}: p50 ${row.p50} ms, p99 ${row.p99} ms, max ${row.max} ms`);
    return row;
  } finally {
    await worker.stop('SIGKILL');
  }
}

/** The two tables, for a run of this scenario alone (the runner prints its own from the last line). */
function printTables(rows: TracingRow[]): void {
  const n = (value: number | undefined, digits = 0) =>
    value === undefined ? '' : value.toLocaleString('en', { maximumFractionDigits: digits });
  const print = (title: string, picked: TracingRow[], columns: Array<[string, (r: TracingRow) => unknown]>) => {
    const table = new Table({ head: columns.map(([header]) => header), style: { head: [], border: [] } });
    table.push(...picked.map((row) => columns.map(([, cell]) => String(cell(row) ?? ''))));
    process.stdout.write(`\n${title}\n${table.toString()}\n`);
  };
  print(
    'Cost of tracing on the fire path (1-second cron, one instance, monitorExecution off)',
    rows.filter((r) => r.section === 'tracing'),
    [
      ['setup', (r) => r.setup],
      ['fires', (r) => r.fires],
      ['p50 ms', (r) => n(r.p50, 1)],
      ['p99 ms', (r) => n(r.p99, 1)],
      ['max ms', (r) => n(r.max, 1)],
      ['loop delay p99 ms', (r) => n(r.loopDelayP99, 1)],
      ['CPU ms/s', (r) => n(r.cpuMsPerSecond)],
      ['runs', (r) => n(r.runs)],
      ['misses', (r) => n(r.misses)],
      ['traced runs', (r) => n(r.tracedRuns)],
      ['status rows', (r) => n(r.statusRows)],
      ['events dropped', (r) => n(r.eventsDropped)],
    ],
  );
  print(
    'Tracing queries: EventTraceHistoryApi.findJobExecutionEvents (its count and its page)',
    rows.filter((r) => r.section === 'tracing-query'),
    [
      ['query', (r) => r.setup],
      ['table rows', (r) => n(r.tableRows)],
      ['matched', (r) => n(r.matched)],
      ['p50 ms', (r) => n(r.p50, 1)],
      ['p99 ms', (r) => n(r.p99, 1)],
      ['max ms', (r) => n(r.max, 1)],
      ['met', (r) => (r.p99! < r.targetMs! ? `p99 < ${r.targetMs} ms: met` : `p99 < ${r.targetMs} ms: NOT met`)],
    ],
  );
}

async function main(): Promise<TracingRow[]> {
  const quick = quickMode();
  const jobs = 1_000;
  const fires = quick ? 5 : 20;
  const historyRows = quick ? 100_000 : 1_000_000;
  const runs = quick ? 100 : 200;
  const rounds = quick ? 1 : 2;
  await ensurePostgres();
  await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await onServer(`CREATE DATABASE ${DATABASE}`);
  const rows: TracingRow[] = [];
  try {
    const zk = await ZookeeperTestServer.start();
    try {
      for (let turn = 1; turn <= rounds; turn++) {
        for (const traced of [false, true]) {
          progress(`fire path: ${jobs} jobs, ${fires} fires, tracing ${traced ? 'on' : 'off'}, run ${turn}`);
          rows.push(await measureFires(zk, { jobs, fires, traced, round: turn, rounds }));
        }
      }
    } finally {
      await zk.destroy();
    }
    progress(`queries: ${historyRows.toLocaleString('en')} rows, ${runs} runs of each`);
    rows.push(...(await measureQueries(TRACING_URL, historyRows, runs)));
  } finally {
    await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`).catch((error) =>
      progress(`could not drop database ${DATABASE}: ${error}`),
    );
  }
  printTables(rows);
  return rows;
}

runScenario(main);
