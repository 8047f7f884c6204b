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
 * item on a 1-second cron in one process with monitorExecution off, once without tracing and once tracing into a
 * fresh PostgreSQL database, the same fires; each traced run of the measured fires is looked up in the tables
 * afterwards. Then the query API's latency over a history of 1,000,000 runs (`tracing-queries.ts`). The database
 * (`elasticjob_bench_tracing` on the machine's PostgreSQL) is dropped at the end.
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

async function measureFires(zk: ZookeeperTestServer, jobs: number, fires: number, traced: boolean) {
  const env: Record<string, string> = {
    SYSTEM: 'elasticjob',
    JOBS: String(jobs),
    ITEMS: '1',
    MONITOR: 'off',
    ZK_SERVERS: zk.connectString,
    ZK_NAMESPACE: `tracing-${traced ? 'on' : 'off'}`,
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
      }`,
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
      row.note =
        `${row.tracedRuns} of ${verdict.runs} runs of the measured fires have their row (ended, success), ` +
        `${row.statusRows} of ${verdict.runs * STATUS_ROWS_PER_RUN} status rows; the queue at the window's end: ` +
        `${stats.written} events written since start-up, ${stats.dropped} dropped, ${stats.queued} queued`;
    }
    progress(`tracing ${traced ? 'on' : 'off'}: p50 ${row.p50} ms, p99 ${row.p99} ms, max ${row.max} ms`);
    return row;
  } finally {
    await worker.stop('SIGKILL');
  }
}

async function main(): Promise<TracingRow[]> {
  const quick = quickMode();
  const jobs = 1_000;
  const fires = quick ? 5 : 20;
  const historyRows = quick ? 100_000 : 1_000_000;
  const runs = quick ? 100 : 200;
  await ensurePostgres();
  await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await onServer(`CREATE DATABASE ${DATABASE}`);
  const rows: TracingRow[] = [];
  try {
    const zk = await ZookeeperTestServer.start();
    try {
      for (const traced of [false, true]) {
        progress(`fire path: ${jobs} jobs, ${fires} fires, tracing ${traced ? 'on' : 'off'}`);
        rows.push(await measureFires(zk, jobs, fires, traced));
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
  return rows;
}

runScenario(main);
