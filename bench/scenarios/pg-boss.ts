import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { AppProcess } from '../../test/support/app-process';
import { waitFor } from '../../test/support/zookeeper-server';
import { RunAudit } from '../support/audit';
import { PeerRun, peerRunsOf } from '../support/peer-run';
import { BenchRow, progress, quickMode, runScenario } from '../support/bench-row';
import { ensurePostgres } from '../support/services';
import { latenessOf } from '../support/stats';

/**
 * Peer benchmark: pg-boss (PostgreSQL) with 3 worker processes (`pg-boss-worker.ts`) and the scheduling instance in
 * this process, all with pg-boss's most eager cron and maintenance settings. Measures the lateness of a
 * `* * * * *` schedule (minute boundary to handler start) over 1 (`--quick`) or 3 fires, with the duplicate/miss audit,
 * and the time from kill -9 of the worker running a job to the start of that job's retry on another worker.
 */
const WORKER = join(__dirname, 'pg-boss-worker.js');
const SYSTEM = 'pg-boss';
const VERSION = (require('pg-boss/package.json') as { version: string }).version;
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const QUEUE = 'bench-pgboss';
const WORKERS = 3;
const MINUTE = 60_000;
const EXPIRE_SECONDS = 5;
const RECOVERY_BOUND_MS = 60_000;

/**
 * The lowest intervals v10 accepts (its `attorney.js` asserts at least 1 s for each); the defaults in the comments.
 * `archiveCompletedAfterSeconds` stays at its default: below 60 s pg-boss disables cron altogether.
 */
const BOSS_OPTIONS: PgBoss.ConstructorOptions = {
  // Default 30 s: how often an instance looks for schedules whose cron fired in the last 60 s.
  cronMonitorIntervalSeconds: 1,
  // Default 5 s: polling of the internal queue through which a cron fire becomes a job of the queue.
  cronWorkerIntervalSeconds: 1,
  // Default 600 s: the clock skew against the database, which the cron check adds to the local clock.
  clockMonitorIntervalSeconds: 1,
  // Default 120 s: expiry of active jobs past their expireIn, which is what hands a dead worker's job to a retry.
  maintenanceIntervalSeconds: 1,
};
const SETTINGS =
  'every instance: cronMonitorIntervalSeconds 1, cronWorkerIntervalSeconds 1, clockMonitorIntervalSeconds 1, ' +
  'maintenanceIntervalSeconds 1 (the minimums; defaults 30, 5, 600, 120); workers poll every 0.5 s (the minimum), ' +
  'one job at a time';

type Run = PeerRun;

// `pg` (pg-boss's driver) ships no types, and this is the one call needed from it.
const { Client } = require('pg') as {
  Client: new (config: { connectionString: string }) => {
    connect(): Promise<void>;
    query(sql: string): Promise<unknown>;
    end(): Promise<void>;
  };
};

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
const clock = (time: number) => new Date(time).toISOString().slice(11, 19);

/** Waits for `condition` until `deadline` (epoch ms); whether it came true. */
async function waitUntil(condition: () => boolean, deadline: number): Promise<boolean> {
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

async function measureFires(boss: PgBoss, runs: () => Run[], fireCount: number): Promise<BenchRow> {
  // pg-boss runs a new schedule at once for the minute already begun (its cron check sends whenever the previous fire
  // time is less than 60 s old). Created in the last seconds of a minute, that run's job could be inserted after the
  // boundary and be taken for the next minute's fire: create the schedule early in a minute.
  if (Date.now() % MINUTE > MINUTE - 10_000) {
    await sleepUntil(Math.ceil(Date.now() / MINUTE) * MINUTE + 500);
  }
  await boss.schedule(QUEUE, '* * * * *');
  const scheduledAt = Date.now();
  const first = Math.floor(scheduledAt / MINUTE) * MINUTE + MINUTE;
  const fires = Array.from({ length: fireCount }, (_, i) => first + i * MINUTE);
  progress(`${fireCount} fire(s) from ${clock(first)} UTC (first in ${Math.round((first - Date.now()) / 1000)} s)`);
  const allFired = () => fires.every((fire) => runs().some((run) => run.fire === fire));
  await waitUntil(allFired, fires[fires.length - 1] + 30_000);
  // A second job for a fire (a duplicate) would come from another cron check, a second or so later.
  await sleepUntil(Date.now() + 2_000);
  await boss.unschedule(QUEUE);

  const audit = new RunAudit();
  for (const run of runs()) {
    audit.record(SYSTEM, 0, run.fire);
  }
  const measured = runs().filter((run) => fires.includes(run.fire));
  const catchUp = runs().filter((run) => run.fire < first).length;
  return {
    section: 'peers',
    system: SYSTEM,
    setup: `1 schedule (cron, 1 per minute), ${WORKERS} worker processes`,
    instances: WORKERS,
    jobs: 1,
    fires: fireCount,
    ...latenessOf(measured.map((run) => run.at - run.fire)),
    ...audit.verdict([SYSTEM], 1, fires),
    note:
      `pg-boss ${VERSION}; cron resolution is the minute (one job per schedule per minute at most); ` +
      `fire time = the minute of the job's createdOn (pg-boss keeps no cron time on the job); ${SETTINGS}; ` +
      `on creation the schedule also ran for the minute already begun (${catchUp} run, not counted)`,
  };
}

async function failover(boss: PgBoss, workers: AppProcess[], runs: () => Run[]): Promise<BenchRow> {
  const setup = `kill -9 of the worker running a job (expireInSeconds ${EXPIRE_SECONDS}, retryLimit 1, maintenance every 1 s)`;
  // The retry is pg-boss's only recovery: maintenance fails an active job once started_on + expireIn has passed and
  // puts it back for retry (retryDelay 0), and the next poll of a live worker takes it.
  const jobId = (await boss.send(
    QUEUE,
    { long: true },
    { expireInSeconds: EXPIRE_SECONDS, retryLimit: 1, retryDelay: 0 },
  ))!;
  await waitFor(() => runs().some((run) => run.jobId === jobId), 10_000, 'the long job to start');
  const held = runs().find((run) => run.jobId === jobId)!;
  const victim = workers.find((worker) => worker.child.pid === held.pid)!;
  const killedAt = Date.now();
  await victim.stop('SIGKILL');
  progress(`failover: killed the worker ${held.pid} ${killedAt - held.at} ms into the job`);
  const retried = () => runs().find((run) => run.jobId === jobId && run.pid !== held.pid);
  const defaults = 'pg-boss defaults (expireIn 15 min, maintenance every 120 s) would take 15 to 17 min';
  if (!(await waitUntil(() => retried() !== undefined, killedAt + RECOVERY_BOUND_MS))) {
    return {
      section: 'failover',
      system: SYSTEM,
      setup,
      instances: WORKERS,
      note: `no retry within ${RECOVERY_BOUND_MS / 1000} s of the kill; ${defaults}`,
    };
  }
  const retry = retried()!;
  return {
    section: 'failover',
    system: SYSTEM,
    setup,
    instances: WORKERS,
    effectMs: retry.at - killedAt,
    note:
      `killed ${killedAt - held.at} ms into the job; the retry (retryCount ${retry.retryCount}) waits for the job's ` +
      `expiry (${EXPIRE_SECONDS} s after it started) to be noticed by maintenance, then a worker's poll; ${defaults}`,
  };
}

async function main(): Promise<BenchRow[]> {
  const fireCount = quickMode() ? 1 : 3;
  await ensurePostgres();
  const schema = `pgboss_bench_${process.pid}_${Date.now()}`;
  const boss = new PgBoss({ ...BOSS_OPTIONS, connectionString: PG_URL, schema });
  boss.on('error', (error) => progress(`pg-boss error: ${error.stack ?? error}`));
  const workers: AppProcess[] = [];
  const runs = (): Run[] => peerRunsOf(workers);
  const rows: BenchRow[] = [];
  try {
    progress(`pg-boss ${VERSION}: schema ${schema}, ${WORKERS} worker processes`);
    // start() installs the schema; the workers find it ready.
    await boss.start();
    await boss.createQueue(QUEUE);
    const env = { PG_URL, SCHEMA: schema, QUEUE, BOSS_OPTIONS: JSON.stringify(BOSS_OPTIONS), LONG_MS: '120000' };
    for (let i = 0; i < WORKERS; i++) {
      workers.push(AppProcess.spawn(`pg-boss worker ${i + 1}`, [WORKER], env));
    }
    await Promise.all(workers.map((worker) => worker.waitForEvent('ready', 30_000)));
    // Every run so far is a cron run: the failover's job is sent after the measured fires.
    rows.push(await measureFires(boss, runs, fireCount));
    rows.push(await failover(boss, workers, runs));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await boss.stop({ graceful: false }).catch((error) => progress(`pg-boss stop: ${error}`));
    await dropSchema(schema).catch((error) => progress(`could not drop schema ${schema}: ${error}`));
  }
  return rows;
}

runScenario(main);
