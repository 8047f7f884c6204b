import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { JobConfigurationApi, JobOperateApi, JobStatisticsApi, ZookeeperRegistryCenter } from '../lib';
import { mapConcurrently } from '../lib/utils';
import { AppProcess } from '../test/support/app-process';
import { waitFor, ZookeeperTestServer } from '../test/support/zookeeper-server';

/**
 * Operations benchmark: how fast an operation takes effect on every instance of a 3-instance cluster (real
 * processes, the harness's ZooKeeper), and what the statistics APIs and the CLI cost.
 *
 *   npm run bench:operations
 */
const APP = join(__dirname, '../test/fixtures/cluster-app.js');
const BIN = join(__dirname, '../lib/cli/main.js');
const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const REPEAT = 10;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const row = (what: string, values: number[]) => ({
  operation: what,
  n: values.length,
  'p50 ms': Math.round(percentile(values, 50)),
  'max ms': Math.round(Math.max(...values)),
});

function cliWallTime(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`exit ${code}`)),
    ),
  );
}

async function main() {
  const zk = await ZookeeperTestServer.start();
  const namespace = 'bench-ops';
  const registry = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
  const apps: AppProcess[] = [];
  const rows: Array<ReturnType<typeof row>> = [];
  try {
    await registry.connect();
    const operate = new JobOperateApi(registry);
    const configs = new JobConfigurationApi(registry);
    const statistics = new JobStatisticsApi(registry);
    // A one-off job (no cron): every run is a trigger's.
    for (const ip of IPS) {
      const app = AppProcess.spawn(ip, [APP], {
        ZK_SERVERS: zk.connectString,
        ZK_NAMESPACE: namespace,
        INSTANCE_IP: ip,
        JOB_TOTAL: '9',
        JOB_CRON: 'none',
      });
      apps.push(app);
      await app.waitForEvent('started', 30_000);
    }
    const runsOf = (app: AppProcess) => app.of('run').length;
    // The first trigger reshards over the 3 instances; then each instance runs 3 items per trigger.
    await operate.trigger('cluster');
    await waitFor(() => apps.every((app) => runsOf(app) > 0), 10_000, 'the first trigger');
    await waitFor(() => apps.reduce((sum, app) => sum + runsOf(app), 0) === 9, 10_000, 'the first trigger');

    const firstRun: number[] = [];
    const everyInstance: number[] = [];
    // Start times as the instances report them (their `run` events), not when this process noticed.
    const startsAfter = (before: number[]) =>
      apps.map((app, index) =>
        Math.min(
          ...app
            .of('run')
            .slice(before[index])
            .map((e) => Number(e.at)),
        ),
      );
    for (let i = 0; i < REPEAT; i++) {
      const before = apps.map(runsOf);
      const started = Date.now();
      await operate.trigger('cluster');
      await waitFor(() => apps.every((app, index) => runsOf(app) >= before[index] + 3), 5_000, 'every instance');
      const starts = startsAfter(before);
      firstRun.push(Math.min(...starts) - started);
      everyInstance.push(Math.max(...starts) - started);
    }
    rows.push(
      row('trigger -> first item starts', firstRun),
      row('trigger -> items started on all 3 instances', everyInstance),
    );

    // A live configuration change, seen by every instance: `disabled` makes each instance switch its own server.
    const applied: number[] = [];
    const current = await configs.getJobConfiguration('cluster');
    for (let i = 0; i < REPEAT; i++) {
      const disabled = i % 2 === 0;
      const expected = disabled ? 'DISABLED' : 'ENABLED';
      const started = performance.now();
      await configs.updateJobConfiguration({ ...current, disabled });
      await waitFor(
        async () =>
          (await Promise.all(IPS.map((ip) => registry.get(`/cluster/servers/${ip}`)))).every((s) => s === expected),
        5_000,
        'every instance to apply the change',
      );
      applied.push(performance.now() - started);
    }
    rows.push(row('config change -> applied by all 3 instances', applied));

    // Statistics over a namespace of 1,000 jobs (configurations only).
    await mapConcurrently(
      Array.from({ length: 1_000 }, (_, i) => i),
      64,
      (i) => registry.persist(`/stats-${i}/config`, `jobName: stats-${i}\ncron: 0 0 * * * ?\nshardingTotalCount: 4\n`),
    );
    const listing: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const jobs = await statistics.getAllJobsBriefInfo();
      listing.push(performance.now() - started);
      if (jobs.length !== 1_001) {
        throw new Error(`expected 1,001 jobs, got ${jobs.length}`);
      }
    }
    rows.push(row('getAllJobsBriefInfo, 1,001 jobs', listing));

    const cli: number[] = [];
    for (let i = 0; i < 5; i++) {
      cli.push(await cliWallTime(['--zk', zk.connectString, '--namespace', namespace, 'job', 'cluster']));
    }
    rows.push(row('CLI "job cluster" (process start to exit)', cli));
    const cliList: number[] = [];
    for (let i = 0; i < 5; i++) {
      cliList.push(await cliWallTime(['--zk', zk.connectString, '--namespace', namespace, 'jobs']));
    }
    rows.push(row('CLI "jobs", 1,001 jobs (process start to exit)', cliList));
  } finally {
    await Promise.all(apps.map((app) => app.stop('SIGKILL')));
    await registry.close();
    await zk.destroy();
  }
  console.table(rows);
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
