import { join } from 'node:path';
import { AppProcess } from '../../test/support/app-process';
import { ZookeeperRegistryCenter } from '../../lib';
import { JobNodePath } from '../../lib/storage';
import { mapConcurrently } from '../../lib/utils';
import { waitFor, ZookeeperTestServer } from '../../test/support/zookeeper-server';
import { RunAudit } from '../support/audit';
import { BenchRow, progress, quickMode, runScenario } from '../support/bench-row';
import { latenessOf, round } from '../support/stats';
import { countersSince, zkCounters } from '../support/zk-counters';

/**
 * Trigger lateness, scale and coordination cost: N jobs on a 1-second cron in 1 or 3 application processes, this
 * project against `@nestjs/schedule` (the in-process floor, which runs every job on every replica), each size in fresh
 * processes, one after the other on the same machine. Lateness = handler start - fire time. Every (job, item, fire)
 * of the measured fires is audited. ZooKeeper's reads and writes come from its own counters (`mntr`).
 */
const WORKER = join(__dirname, 'lateness-worker.js');

interface Case {
  system: 'elasticjob' | 'schedule';
  jobs: number;
  items: number;
  monitor: boolean;
  instances: number;
  fires: number;
}

const SYSTEM_NAMES = { elasticjob: 'nestjs-elasticjob', schedule: '@nestjs/schedule' };
let namespaceSeq = 0;

async function measure(zk: ZookeeperTestServer, c: Case): Promise<BenchRow> {
  const namespace = `lateness-${++namespaceSeq}`;
  const env = {
    SYSTEM: c.system,
    JOBS: String(c.jobs),
    ITEMS: String(c.items),
    MONITOR: c.monitor ? 'on' : 'off',
    ZK_SERVERS: zk.connectString,
    ZK_NAMESPACE: namespace,
  };
  const workers = Array.from({ length: c.instances }, (_, i) =>
    AppProcess.spawn(`${c.system}-${i}`, ['--expose-gc', WORKER], env, undefined, true),
  );
  try {
    const ready = await Promise.all(workers.map((worker) => worker.waitForEvent('ready', 180_000)));
    // Several instances: each job reshards once they are all up; measure the steady state after that.
    const settleMs = c.system === 'elasticjob' && c.instances > 1 ? await settled(zk, namespace, c.jobs) : undefined;
    // Two seconds to settle (with 3 instances: the first fires reshard), then whole fires.
    const from = Math.floor(Date.now() / 1000) + (c.instances > 1 ? 4 : 2);
    const to = from + c.fires - 1;
    workers.forEach((worker) => worker.send(`measure ${from} ${to}`));
    await new Promise((resolve) => setTimeout(resolve, from * 1000 - 100 - Date.now()));
    // Whole seconds, each just before a fire: the tail of the fire before the window stands for the tail of its last.
    const before = await zkCounters(zk);
    await new Promise((resolve) => setTimeout(resolve, (to + 1) * 1000 - 100 - Date.now()));
    const traffic = countersSince(before, await zkCounters(zk));
    const done = await Promise.all(workers.map((worker) => worker.waitForEvent('done', (c.fires + 30) * 1000)));
    const samples = done.flatMap((event) => event.samples as number[]);
    const audit = new RunAudit();
    done.forEach((event) => audit.merge(event.counts as Record<string, number>));
    const fires = Array.from({ length: c.fires }, (_, i) => from + i);
    const itemFires = c.jobs * c.items * c.fires;
    const row: BenchRow = {
      section: 'lateness',
      system: SYSTEM_NAMES[c.system],
      setup: `${c.jobs.toLocaleString('en')} job(s)${c.items > 1 ? ` x ${c.items} items` : ''}, ${c.instances} instance(s)${
        c.system === 'elasticjob' ? `, monitorExecution ${c.monitor ? 'on' : 'off'}` : ''
      }`,
      jobs: c.jobs,
      instances: c.instances,
      fires: c.fires,
      ...latenessOf(samples),
      ...audit.verdict(
        Array.from({ length: c.jobs }, (_, job) => job),
        c.items,
        fires,
      ),
      startupMs: Math.max(...ready.map((event) => Number(event.startupMs))),
      heapKbPerJob: round(Number(ready[0].heapBytes) / c.jobs / 1024, 2),
      rssMbPer1000Jobs: round(((Number(ready[0].rssBytes) / c.jobs) * 1000) / 2 ** 20, 1),
      loopDelayP99: round(Math.max(...done.map((event) => Number(event.loopDelayP99))), 1),
    };
    if (settleMs !== undefined) {
      row.note = `measured after every job had resharded over the ${c.instances} instances: ${round(
        settleMs / 1000,
        1,
      )} s after the last instance was up`;
    }
    if (c.system === 'elasticjob') {
      // Writes: ZooKeeper's committed transactions; reads: its read requests (with the sessions' pings).
      row.zkWritesPerItemFire = round(traffic.zxid / itemFires, 2);
      row.zkReadsPerItemFire = round(traffic.reads / itemFires, 2);
      row.writesPerSecond = round(traffic.zxid / c.fires, 0);
    }
    return row;
  } finally {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
  }
}

/** Waits until no job of the namespace asks for a reshard any more; resolves how long that took. */
async function settled(zk: ZookeeperTestServer, namespace: string, jobs: number): Promise<number> {
  const started = Date.now();
  const registry = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
  await registry.connect();
  try {
    const names = Array.from({ length: jobs }, (_, job) => `bench-${job}`);
    const pending = async () =>
      (
        await mapConcurrently(names, 64, async (name) => {
          const paths = new JobNodePath(name);
          return (await registry.exists(paths.leaderShardingNecessary)) || !(await registry.exists(paths.sharding));
        })
      ).some(Boolean);
    await waitFor(async () => !(await pending()), 180_000, 'every job to reshard over the instances');
    return Date.now() - started;
  } finally {
    await registry.close();
  }
}

async function main(): Promise<BenchRow[]> {
  const quick = quickMode();
  const sizes = quick ? [1, 100, 1_000] : [1, 100, 1_000, 10_000];
  const fires = quick ? 5 : 10;
  const cases: Case[] = [];
  for (const jobs of sizes) {
    cases.push({ system: 'schedule', jobs, items: 1, monitor: false, instances: 1, fires });
    cases.push({ system: 'elasticjob', jobs, items: 1, monitor: false, instances: 1, fires });
  }
  // Coordination cost with the execution monitor on (the default), and a multi-item job.
  for (const jobs of quick ? [100] : [100, 1_000]) {
    cases.push({ system: 'elasticjob', jobs, items: 1, monitor: true, instances: 1, fires });
  }
  if (!quick) {
    cases.push({ system: 'elasticjob', jobs: 1, items: 3, monitor: true, instances: 1, fires: 30 });
  }
  // Three replicas: @nestjs/schedule runs every job on each of them.
  const clusterJobs = quick ? 100 : 1_000;
  cases.push({ system: 'schedule', jobs: clusterJobs, items: 1, monitor: false, instances: 3, fires });
  cases.push({ system: 'elasticjob', jobs: clusterJobs, items: 1, monitor: false, instances: 3, fires });
  cases.push({ system: 'elasticjob', jobs: clusterJobs, items: 1, monitor: true, instances: 3, fires });

  // `--only elasticjob/1000/3/on`: one case (system/jobs/instances/monitorExecution), for looking into it.
  const only = process.argv[process.argv.indexOf('--only') + 1];
  if (process.argv.includes('--only')) {
    const [system, jobs, instances, monitor] = only.split('/');
    cases.splice(0, cases.length, {
      system: system as Case['system'],
      jobs: Number(jobs),
      items: 1,
      instances: Number(instances),
      monitor: monitor === 'on',
      fires,
    });
  }
  const zk = await ZookeeperTestServer.start();
  const rows: BenchRow[] = [];
  try {
    for (const c of cases) {
      progress(`lateness: ${c.system}, ${c.jobs} jobs x ${c.items}, ${c.instances} instance(s), monitor ${c.monitor}`);
      rows.push(await measure(zk, c));
    }
  } finally {
    await zk.destroy();
  }
  return rows;
}

runScenario(main);
