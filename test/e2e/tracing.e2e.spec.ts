import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Pool } from 'pg';
import { ElasticJobModule, EventTraceHistoryApi, JobOperationError } from '../../lib';
import { TRACING_SCHEMA } from '../../lib/tracing/rdb-schema';
import { AuditedRun, auditedRuns } from '../support/run-audit';
import { Cluster } from '../support/cluster';
import { PostgresTestServer } from '../support/postgres-server';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// Execution tracing with real processes of the cluster fixture app, the harness's ZooKeeper and a PostgreSQL server of
// the test's own (stopped and started again in the outage case). Every run a process reports must have exactly one
// row, and every row one run.
const SESSION_TIMEOUT_MS = 4000;

interface ExecutionRecord {
  id: string;
  task_id: string;
  ip: string;
  hostname: string;
  sharding_item: number;
  execution_source: string;
  is_success: boolean;
  failure_cause: string | null;
  start_time: Date;
  complete_time: Date | null;
}

describe('tracing (PostgreSQL)', () => {
  let zk: ZookeeperTestServer;
  let pg: PostgresTestServer;
  let admin: Pool;
  let db: Pool;
  let database = '';
  let cluster: Cluster;
  let clusterEnv: Record<string, string> = {};
  let seq = 0;
  const killedAt = new Map<string, number>();
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
    pg = await PostgresTestServer.start();
    admin = new Pool({ connectionString: pg.connectionString });
    admin.on('error', () => undefined);
  });
  beforeEach(async () => {
    database = `tracing_${++seq}`;
    await admin.query(`CREATE DATABASE ${database}`);
    db = new Pool({ connectionString: url() });
    db.on('error', () => undefined);
    killedAt.clear();
    clusterEnv = {
      ZK_SERVERS: zk.connectString,
      ZK_NAMESPACE: `tracing-${seq}`,
      SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      TRACING_URL: url(),
    };
    cluster = new Cluster(clusterEnv);
  });
  afterEach(async () => {
    await cluster.stopAll();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await db.end();
  });
  afterAll(async () => {
    await admin.end();
    await pg.destroy();
    await zk.destroy();
  });

  const url = () => `postgres://postgres@127.0.0.1:${pg.port}/${database}`;
  const runs = () => auditedRuns(cluster.instances, killedAt);
  const executionRows = async () =>
    (await db.query<ExecutionRecord>('SELECT * FROM JOB_EXECUTION_LOG ORDER BY start_time')).rows;
  const count = async (sql: string, values: unknown[] = []) =>
    Number((await db.query(`SELECT count(*) AS n FROM ${sql}`, values)).rows[0].n);
  const tableExists = async () => (await db.query("SELECT to_regclass('job_execution_log') AS t")).rows[0].t !== null;

  /** Pairs every run with its row (same instance, item and source, start within 50 ms); lists what is left over. */
  function match(all: AuditedRun[], rows: ExecutionRecord[]) {
    const left = [...rows];
    const unmatched: string[] = [];
    const pairs: Array<[AuditedRun, ExecutionRecord]> = [];
    for (const run of all) {
      const index = left.findIndex(
        (row) =>
          row.ip === run.instance &&
          row.sharding_item === run.item &&
          row.execution_source === run.source &&
          Math.abs(row.start_time.getTime() - run.start) <= 50,
      );
      if (index < 0) {
        unmatched.push(`run without a row: item ${run.item} ${run.source} on ${run.instance} at ${run.start}`);
      } else {
        pairs.push([run, left.splice(index, 1)[0]]);
      }
    }
    unmatched.push(
      ...left.map((row) => `row without a run: item ${row.sharding_item} on ${row.ip} at ${+row.start_time}`),
    );
    return { pairs, unmatched };
  }

  /** An application of this process that only reads the history (no jobs). */
  async function historyApi(): Promise<EventTraceHistoryApi> {
    @Module({
      imports: [
        ElasticJobModule.forRoot({
          registryCenter: { serverLists: zk.connectString, namespace: `tracing-${seq}` },
          tracing: { type: 'RDB', dataSource: url() },
        }),
      ],
    })
    class ReaderModule {}
    const app = await NestFactory.createApplicationContext(ReaderModule, { logger: false });
    apps.push(app);
    return app.get(EventTraceHistoryApi);
  }

  it('creates ElasticJob’s tables, with its columns, types and index', async () => {
    await cluster.start('127.0.0.2', { JOB_TOTAL: '1', ITEM_MS: '10' });
    await waitFor(tableExists, 10_000, 'the tables');
    const { rows } = await db.query(
      `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable
       FROM information_schema.columns WHERE table_name IN ('job_execution_log', 'job_status_trace_log')
       ORDER BY table_name, ordinal_position`,
    );
    const columns = rows.map(
      (r) =>
        `${r.table_name}.${r.column_name} ${r.data_type}${r.len ? `(${r.len})` : ''}${r.is_nullable === 'NO' ? ' NOT NULL' : ''}`,
    );
    expect(columns).toEqual([
      'job_execution_log.id character varying(40) NOT NULL',
      'job_execution_log.job_name character varying(100) NOT NULL',
      'job_execution_log.task_id character varying(255) NOT NULL',
      'job_execution_log.hostname character varying(255) NOT NULL',
      'job_execution_log.ip character varying(50) NOT NULL',
      'job_execution_log.sharding_item integer NOT NULL',
      'job_execution_log.execution_source character varying(20) NOT NULL',
      'job_execution_log.failure_cause character varying(4000)',
      'job_execution_log.is_success boolean NOT NULL',
      'job_execution_log.start_time timestamp without time zone',
      'job_execution_log.complete_time timestamp without time zone',
      'job_status_trace_log.id character varying(40) NOT NULL',
      'job_status_trace_log.job_name character varying(100) NOT NULL',
      'job_status_trace_log.original_task_id character varying(255) NOT NULL',
      'job_status_trace_log.task_id character varying(255) NOT NULL',
      'job_status_trace_log.slave_id character varying(50) NOT NULL',
      'job_status_trace_log.source character varying(50) NOT NULL',
      'job_status_trace_log.execution_type character varying(20) NOT NULL',
      'job_status_trace_log.sharding_item character varying(100) NOT NULL',
      'job_status_trace_log.state character varying(20) NOT NULL',
      'job_status_trace_log.message character varying(4000)',
      'job_status_trace_log.creation_time timestamp without time zone',
    ]);
    const indexes = (await db.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'task_id_state_index'")).rows;
    expect(indexes.map((r) => r.indexdef)).toEqual([
      expect.stringMatching(/ON public\.job_status_trace_log USING btree \(task_id, state\)$/),
    ]);
  });

  it('a 3-item job over 5 fires on 2 instances: one row per run, failures with their cause; the query API reads them', async () => {
    const env = { JOB_TOTAL: '3', ITEM_MS: '30', FAIL_ITEMS: '1' };
    await Promise.all(['127.0.0.2', '127.0.0.3'].map((ip) => cluster.start(ip, env)));
    await waitFor(
      () => {
        const fires = new Set(runs().map((r) => r.fireTime));
        const spread = [...fires].filter(
          (fire) =>
            new Set(
              runs()
                .filter((r) => r.fireTime === fire)
                .map((r) => r.instance),
            ).size === 2,
        );
        return spread.length >= 5;
      },
      30_000,
      '5 fires over both instances',
    );
    // A graceful stop writes what is queued.
    await Promise.all([...cluster.instances.values()].map((app) => app.stop('SIGTERM')));
    const all = runs();
    const rows = await executionRows();
    const { pairs, unmatched } = match(all, rows);
    expect(unmatched).toEqual([]);
    expect(rows).toHaveLength(all.length);
    for (const [run, row] of pairs) {
      expect(row.complete_time).not.toBeNull();
      expect(row.is_success).toBe(run.item !== 1);
      expect(row.task_id).toMatch(new RegExp(`^cluster@-@[0-9,]+@-@READY@-@${run.instance}@-@\\d+$`));
      if (run.item === 1) {
        expect(row.failure_cause).toContain('Error: item 1 failed on purpose');
      } else {
        expect(row.failure_cause).toBeNull();
      }
    }
    // Per execution on an instance: staged, running, finished (a failed item is the item's, not the execution's).
    const executions = new Set(all.map((r) => `${r.instance}|${r.fireTime}|${r.source}`)).size;
    for (const state of ['TASK_STAGING', 'TASK_RUNNING', 'TASK_FINISHED']) {
      expect(await count('JOB_STATUS_TRACE_LOG WHERE state = $1', [state])).toBe(executions);
    }
    expect(await count("JOB_STATUS_TRACE_LOG WHERE source <> 'LITE_EXECUTOR' OR execution_type <> 'READY'")).toBe(0);

    const history = await historyApi();
    const item1 = await history.findJobExecutionEvents({ jobName: 'cluster', shardingItem: 1 });
    expect(item1.total).toBe(all.filter((r) => r.item === 1).length);
    expect(item1.rows.every((row) => row.shardingItem === 1 && row.isSuccess === false)).toBe(true);
    const failed = await history.findJobExecutionEvents({ jobName: 'cluster', isSuccess: false });
    expect(failed.total).toBe(item1.total);
    expect(failed.rows[0]).toEqual({
      id: expect.any(String),
      jobName: 'cluster',
      taskId: expect.stringContaining('cluster@-@'),
      hostname: expect.any(String),
      ip: expect.stringMatching(/^127\.0\.0\.[23]$/),
      shardingItem: 1,
      executionSource: 'NORMAL_TRIGGER',
      failureCause: expect.stringContaining('item 1 failed on purpose'),
      isSuccess: false,
      startTime: expect.any(Date),
      completeTime: expect.any(Date),
    });
    // Paging: newest first by default, pages do not overlap and cover every row.
    const pages = await Promise.all(
      [1, 2, 3].map((page) => history.findJobExecutionEvents({ jobName: 'cluster', perPage: 4, page })),
    );
    expect(pages.map((p) => p.total)).toEqual([all.length, all.length, all.length]);
    const paged = pages.flatMap((p) => p.rows);
    expect(new Set(paged.map((r) => r.id)).size).toBe(Math.min(12, all.length));
    const times = paged.map((r) => r.startTime!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const byIp = await history.findJobExecutionEvents({ ip: '127.0.0.3', perPage: 1000 });
    expect(byIp.total).toBe(all.filter((r) => r.instance === '127.0.0.3').length);
    const middle = all[Math.floor(all.length / 2)].start;
    const since = await history.findJobExecutionEvents({ start: new Date(middle - 20), perPage: 1000 });
    expect(since.total).toBe(all.filter((r) => r.start >= middle - 20).length);
    const ascending = await history.findJobExecutionEvents({ sort: 'shardingItem', order: 'ASC', perPage: 1000 });
    expect(ascending.rows.map((r) => r.shardingItem)).toEqual([...all.map((r) => r.item)].sort());
    const finished = await history.findJobStatusTraceEvents({ jobName: 'cluster', state: 'TASK_FINISHED' });
    expect(finished.total).toBe(executions);
    expect(finished.rows[0]).toMatchObject({ source: 'LITE_EXECUTOR', executionType: 'READY', originalTaskId: '' });
    expect(finished.rows[0].shardingItem).toMatch(/^\[\d(, \d)*\]$/);
    const withItem2 = await history.findJobStatusTraceEvents({ shardingItem: 2, state: 'TASK_FINISHED' });
    expect(withItem2.total).toBe(
      new Set(all.filter((r) => r.item === 2).map((r) => `${r.instance}|${r.fireTime}`)).size,
    );
    await expect(history.findJobExecutionEvents({ sort: 'nope' })).rejects.toThrow(JobOperationError);
    await expect(history.findJobExecutionEvents({ perPage: 0 })).rejects.toMatchObject({ field: 'perPage' });
  });

  it('PostgreSQL stopped for 10 s during fires: jobs are not slowed, no row is lost or written twice', async () => {
    await cluster.start('127.0.0.2', { JOB_TOTAL: '3', ITEM_MS: '20' });
    await waitFor(async () => (await tableExists()) && (await count('JOB_EXECUTION_LOG')) >= 6, 15_000, 'rows');
    const stoppedAt = Date.now();
    await pg.stop();
    // The outage itself: ten seconds of fires with PostgreSQL down.
    await waitFor(() => Date.now() >= stoppedAt + 10_000, 12_000);
    await pg.resume();
    const resumedAt = Date.now();
    await waitFor(
      async () =>
        (await count('JOB_EXECUTION_LOG WHERE complete_time IS NOT NULL')) >=
        runs().filter((r) => r.end < resumedAt).length,
      20_000,
      'the queued rows written',
    );
    await cluster.instances.get('127.0.0.2')!.stop('SIGTERM');
    const all = runs();
    const rows = await executionRows();
    const { unmatched } = match(all, rows);
    expect(unmatched).toEqual([]);
    expect(rows).toHaveLength(all.length);
    // No run twice: one row per (instance, item, start).
    expect(new Set(rows.map((r) => `${r.ip}|${r.sharding_item}|${+r.start_time}`)).size).toBe(rows.length);
    // The 90th percentile: one run late because the machine was busy is not the tracing's doing.
    const lateness = (list: AuditedRun[]) => {
      const sorted = list.map((r) => r.start - r.fireTime).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length * 0.9)];
    };
    const before = all.filter((r) => r.start < stoppedAt && r.source === 'NORMAL_TRIGGER');
    const during = all.filter((r) => r.start >= stoppedAt && r.start < stoppedAt + 10_000);
    expect(during.length).toBeGreaterThanOrEqual(27);
    expect(during.every((r) => r.source === 'NORMAL_TRIGGER')).toBe(true);
    process.stdout.write(
      `PostgreSQL down 10 s: ${during.length} runs, lateness p90 ${lateness(during)} ms (before: ${lateness(before)} ms), ${rows.length} rows for ${all.length} runs\n`,
    );
    if (process.env.TRACING_DEBUG) {
      process.stdout.write(JSON.stringify(during.map((r) => [r.start - stoppedAt, r.start - r.fireTime])) + '\n');
    }
    expect(lateness(during)).toBeLessThan(Math.max(50, lateness(before) + 30));
  });

  it('FAILOVER rows after a kill -9, MISFIRE rows after an overrun', async () => {
    const env = {
      JOB_TOTAL: '2',
      ITEM_MS: '20',
      FAILOVER: 'true',
      MISFIRE: 'false',
      LONG_ITEMS: '0',
      LONG_MS: '4000',
      LONG_FROM: String(Date.now() + 6_000),
    };
    await Promise.all(['127.0.0.2', '127.0.0.3'].map((ip) => cluster.start(ip, env)));
    await waitFor(
      () => runs().some((r) => r.item === 0 && r.end === Infinity && r.start >= Number(env.LONG_FROM)),
      20_000,
      'the long run of item 0',
    );
    const victim = runs().find((r) => r.item === 0 && r.end === Infinity && r.start >= Number(env.LONG_FROM))!;
    // Its start is written within the flush interval (what a process killed has not written yet is lost with it).
    const victimRow = `JOB_EXECUTION_LOG WHERE ip = $1 AND sharding_item = 0 AND start_time >= $2`;
    await waitFor(async () => (await count(victimRow, [victim.instance, new Date(victim.start - 50)])) === 1, 5_000);
    killedAt.set(victim.instance, Date.now());
    await cluster.instances.get(victim.instance)!.stop('SIGKILL');
    await waitFor(
      () => runs().some((r) => r.item === 0 && r.source === 'FAILOVER' && r.end !== Infinity),
      20_000,
      'the failover run',
    );
    const survivor = victim.instance === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2';
    await waitFor(
      async () =>
        (await count("JOB_EXECUTION_LOG WHERE execution_source = 'FAILOVER' AND complete_time IS NOT NULL")) === 1,
      10_000,
      'the FAILOVER row',
    );
    const failover = (
      await db.query<ExecutionRecord>("SELECT * FROM JOB_EXECUTION_LOG WHERE execution_source = 'FAILOVER'")
    ).rows;
    expect(failover).toEqual([expect.objectContaining({ ip: survivor, sharding_item: 0, is_success: true })]);
    expect(failover[0].task_id).toMatch(new RegExp(`^cluster@-@0@-@FAILOVER@-@${survivor}@-@\\d+$`));
    expect(await count("JOB_STATUS_TRACE_LOG WHERE execution_type = 'FAILOVER' AND state = 'TASK_FINISHED'")).toBe(1);
    // The killed run: started, never completed.
    const killedRows = (await executionRows()).filter(
      (r) => r.ip === victim.instance && r.sharding_item === 0 && Math.abs(+r.start_time - victim.start) <= 50,
    );
    expect(killedRows).toEqual([expect.objectContaining({ is_success: false, complete_time: null })]);

    // An item overrunning its 1-second cron: the fires it overran run once more at once, as a misfire.
    const overrun = new Cluster({ ...clusterEnv, ZK_NAMESPACE: `tracing-${seq}-misfire` });
    try {
      await overrun.start('127.0.0.4', { JOB_TOTAL: '1', ITEM_MS: '20', FIRST_RUN_MS: '2500' });
      await waitFor(
        async () =>
          (await count("JOB_EXECUTION_LOG WHERE execution_source = 'MISFIRE' AND complete_time IS NOT NULL")) >= 1,
        15_000,
        'a MISFIRE row',
      );
      const misfire = auditedRuns(overrun.instances).filter((r) => r.source === 'MISFIRE');
      expect(misfire.length).toBeGreaterThanOrEqual(1);
      const rows = (
        await db.query<ExecutionRecord>("SELECT * FROM JOB_EXECUTION_LOG WHERE execution_source = 'MISFIRE'")
      ).rows;
      expect(rows[0]).toMatchObject({ ip: '127.0.0.4', sharding_item: 0, is_success: true });
    } finally {
      await overrun.stopAll();
    }
  });

  it('deletes rows older than retentionDays, on one instance only', async () => {
    for (const statement of TRACING_SCHEMA) {
      await db.query(statement);
    }
    const day = 24 * 3_600_000;
    for (const [id, age] of [
      ['old-1', 40],
      ['old-2', 31],
      ['recent', 29],
    ] as const) {
      await db.query(
        `INSERT INTO JOB_EXECUTION_LOG (id, job_name, task_id, hostname, ip, sharding_item, execution_source, is_success, start_time)
         VALUES ($1, 'old-job', 't', 'h', '10.0.0.1', 0, 'NORMAL_TRIGGER', true, $2)`,
        [id, new Date(Date.now() - age * day)],
      );
      await db.query(
        `INSERT INTO JOB_STATUS_TRACE_LOG (id, job_name, original_task_id, task_id, slave_id, source, execution_type, sharding_item, state, message, creation_time)
         VALUES ($1, 'old-job', '', 't', '10.0.0.1', 'LITE_EXECUTOR', 'READY', '[0]', 'TASK_FINISHED', '', $2)`,
        [id, new Date(Date.now() - age * day)],
      );
    }
    const env = { JOB_TOTAL: '1', ITEM_MS: '10', TRACING_RETENTION_DAYS: '30' };
    await Promise.all(['127.0.0.2', '127.0.0.3'].map((ip) => cluster.start(ip, env)));
    await waitFor(
      async () => (await count("JOB_EXECUTION_LOG WHERE job_name = 'old-job'")) === 1,
      15_000,
      'the deletion',
    );
    expect((await db.query("SELECT id FROM JOB_EXECUTION_LOG WHERE job_name = 'old-job'")).rows).toEqual([
      { id: 'recent' },
    ]);
    await waitFor(
      async () => (await count("JOB_STATUS_TRACE_LOG WHERE job_name = 'old-job'")) === 1,
      5_000,
      'the status rows',
    );
    // One holder of the retention's latch among the two instances.
    const holders = await count("pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted", [0x454a5432]);
    expect(holders).toBe(1);
    // The rows of today's runs stay.
    await waitFor(async () => (await count("JOB_EXECUTION_LOG WHERE job_name = 'cluster'")) > 0, 10_000, 'new rows');
  });

  it('reads a history written the way ElasticJob writes it', async () => {
    for (const statement of TRACING_SCHEMA) {
      await db.query(statement);
    }
    // ElasticJob 3.0.4's RDB storage: an insert at the start, an update at the end; a status row per step.
    const start = new Date(Date.now() - 60_000);
    await db.query(
      `INSERT INTO JOB_EXECUTION_LOG (id, job_name, task_id, hostname, ip, sharding_item, execution_source, is_success, start_time)
       VALUES ('6f1d1b7e-0000-4000-8000-000000000001', 'javaJob', 'javaJob@-@0,1@-@READY@-@192.168.1.7@-@4242', 'java-host', '192.168.1.7', 1, 'NORMAL_TRIGGER', false, $1)`,
      [start],
    );
    await db.query(
      `UPDATE JOB_EXECUTION_LOG SET is_success = $1, complete_time = $2, failure_cause = $3 WHERE id = '6f1d1b7e-0000-4000-8000-000000000001'`,
      [
        false,
        new Date(start.getTime() + 1500),
        'java.lang.RuntimeException: boom\n\tat JavaJob.execute(JavaJob.java:12)',
      ],
    );
    await db.query(
      `INSERT INTO JOB_STATUS_TRACE_LOG (id, job_name, original_task_id, task_id, slave_id, source, execution_type, sharding_item, state, message, creation_time)
       VALUES ('6f1d1b7e-0000-4000-8000-000000000002', 'javaJob', '', 'javaJob@-@0,1@-@READY@-@192.168.1.7@-@4242', '192.168.1.7', 'LITE_EXECUTOR', 'READY', '[0, 1]', 'TASK_STAGING', 'Job ''javaJob'' execute begin.', $1)`,
      [start],
    );
    const history = await historyApi();
    const executions = await history.findJobExecutionEvents({ jobName: 'javaJob' });
    expect(executions).toEqual({
      total: 1,
      rows: [
        {
          id: '6f1d1b7e-0000-4000-8000-000000000001',
          jobName: 'javaJob',
          taskId: 'javaJob@-@0,1@-@READY@-@192.168.1.7@-@4242',
          hostname: 'java-host',
          ip: '192.168.1.7',
          shardingItem: 1,
          executionSource: 'NORMAL_TRIGGER',
          failureCause: expect.stringContaining('RuntimeException: boom'),
          isSuccess: false,
          startTime: start,
          completeTime: new Date(start.getTime() + 1500),
        },
      ],
    });
    const statuses = await history.findJobStatusTraceEvents({ jobName: 'javaJob', shardingItem: 1 });
    expect(statuses.rows).toEqual([
      expect.objectContaining({ state: 'TASK_STAGING', slaveId: '192.168.1.7', shardingItem: '[0, 1]' }),
    ]);
    expect((await history.findJobStatusTraceEvents({ jobName: 'javaJob', shardingItem: 2 })).total).toBe(0);
  });
});
