import { Cluster } from '../../test/support/cluster';
import { auditedRuns } from '../../test/support/run-audit';
import { waitFor, ZookeeperTestServer } from '../../test/support/zookeeper-server';
import { RunAudit } from '../support/audit';
import { BenchRow, progress, quickMode, runScenario } from '../support/bench-row';
import { median } from '../support/stats';

/**
 * Elasticity and failover with real instance processes (the test suite's cluster fixture app: one job, 9 items, a
 * 1-second cron, monitorExecution on): the time from an instance joining or leaving gracefully to the first fire on
 * the new assignment, audited for missed and duplicate (item, fire) pairs; and the time from kill -9 of an instance in
 * the middle of an item to that item's failover run on a survivor, for several session timeouts.
 */
const SYSTEM = 'nestjs-elasticjob';
const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

async function joinAndLeave(zk: ZookeeperTestServer): Promise<BenchRow[]> {
  const cluster = new Cluster({ ZK_SERVERS: zk.connectString, ZK_NAMESPACE: 'elasticity', JOB_TOTAL: '9' });
  try {
    await Promise.all(IPS.map((ip) => cluster.start(ip)));
    const settled = Math.floor(Date.now() / 1000) + 3;
    await waitFor(() => Date.now() >= settled * 1000, 5_000);
    const joining = await cluster.start('127.0.0.5');
    const joinedAt = Number(joining.of('started')[0].at);
    await waitFor(() => joining.of('run').length > 0, 10_000, 'the joining instance to run');
    const joinMs = Math.min(...joining.of('run').map((e) => Number(e.at))) - joinedAt;
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const leaving = cluster.instances.get('127.0.0.3')!;
    const items = new Set(
      leaving
        .of('run')
        .slice(-3)
        .map((e) => Number(e.item)),
    );
    const leaveAt = Date.now();
    await leaving.stop('SIGTERM');
    const takenOver = () =>
      auditedRuns(cluster.instances).filter(
        (r) => r.start > leaveAt && r.instance !== '127.0.0.3' && items.has(r.item),
      );
    await waitFor(() => takenOver().length > 0, 10_000, 'the leaving instance items to run elsewhere');
    const leaveMs = Math.min(...takenOver().map((r) => r.start)) - leaveAt;
    const end = Math.floor(Date.now() / 1000) + 2;
    await waitFor(() => Date.now() >= (end + 1) * 1000 + 500, 5_000);

    // Every fire from before the join to after the leave: each of the 9 items exactly once.
    const audit = new RunAudit();
    for (const run of auditedRuns(cluster.instances)) {
      audit.record('cluster', run.item, Math.floor(run.fireTime / 1000));
    }
    const fires: number[] = [];
    for (let second = settled; second <= end; second++) {
      fires.push(second);
    }
    return [
      {
        section: 'elasticity',
        system: SYSTEM,
        setup: 'join: a 4th instance registered -> its first item runs',
        instances: 4,
        effectMs: joinMs,
      },
      {
        section: 'elasticity',
        system: SYSTEM,
        setup: 'graceful leave (SIGTERM) -> its items run on the others',
        instances: 3,
        effectMs: leaveMs,
      },
      {
        section: 'elasticity',
        system: SYSTEM,
        setup: 'every fire from before the join to after the leave (9 items)',
        fires: fires.length,
        ...audit.verdict(['cluster'], 9, fires),
      },
    ];
  } finally {
    await cluster.stopAll();
  }
}

/** kill -9 of the instance running a long item: time to the item's failover run on a survivor. */
async function killAndRecover(zk: ZookeeperTestServer, sessionTimeoutMs: number, round: number): Promise<number> {
  const longFrom = Date.now() + 6_000;
  const cluster = new Cluster({
    ZK_SERVERS: zk.connectString,
    ZK_NAMESPACE: `failover-${sessionTimeoutMs}-${round}`,
    SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
    CONNECTION_TIMEOUT_MS: '3000',
    JOB_TOTAL: '3',
    LONG_ITEMS: '0',
    LONG_MS: '30000',
    LONG_FROM: String(longFrom),
    ITEM_MS: '100',
    FAILOVER: 'true',
    MISFIRE: 'false',
  });
  try {
    await Promise.all(IPS.map((ip) => cluster.start(ip)));
    const runs = () => auditedRuns(cluster.instances);
    await waitFor(() => runs().some((r) => r.item === 0 && r.start >= longFrom), 20_000, 'the long run of item 0');
    const victim = runs().find((r) => r.item === 0 && r.start >= longFrom)!;
    await waitFor(() => Date.now() >= victim.start + 500, 2_000);
    const killed = Date.now();
    await cluster.instances.get(victim.instance)!.stop('SIGKILL');
    await waitFor(
      () => runs().some((r) => r.item === 0 && r.source === 'FAILOVER'),
      sessionTimeoutMs + 10_000,
      'the failover run of item 0',
    );
    return runs().find((r) => r.item === 0 && r.source === 'FAILOVER')!.start - killed;
  } finally {
    await cluster.stopAll();
  }
}

async function main(): Promise<BenchRow[]> {
  const quick = quickMode();
  const zk = await ZookeeperTestServer.start();
  const rows: BenchRow[] = [];
  try {
    progress('elasticity: join and graceful leave');
    rows.push(...(await joinAndLeave(zk)));
    for (const timeout of quick ? [2_000, 4_000] : [2_000, 4_000, 8_000]) {
      const rounds = quick ? 1 : 3;
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        progress(`failover: kill -9, session timeout ${timeout} ms (${round + 1}/${rounds})`);
        times.push(await killAndRecover(zk, timeout, round));
      }
      rows.push({
        section: 'failover',
        system: SYSTEM,
        setup: `kill -9 of the instance running an item, session timeout ${timeout / 1000} s`,
        instances: 3,
        effectMs: Math.round(median(times)),
        note: `${rounds > 1 ? `median of ${rounds}: ${times.join(', ')} ms; ` : ''}bound: timeout + 1 s = ${timeout + 1000} ms`,
      });
    }
  } finally {
    await zk.destroy();
  }
  return rows;
}

runScenario(main);
