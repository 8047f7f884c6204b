import { join } from 'node:path';
import { AppProcess } from '../test/support/app-process';
import { fourLetterWord, waitFor, ZookeeperTestServer } from '../test/support/zookeeper-server';

/**
 * Cluster benchmark: 3 instances (real processes) of a 9-item job on a 1-second cron. Measures the ZooKeeper writes
 * and requests per fire (from the server's own counters: zxid and `mntr` zk_packets_received), and the time from an
 * instance joining / leaving gracefully to the first fire that uses the new assignment.
 *
 *   npm run bench:cluster
 */
const APP = join(__dirname, '../test/fixtures/cluster-app.js');
const ITEMS = 9;

interface Run {
  item: number;
  at: number;
  ip: string;
}

async function packetsReceived(zk: ZookeeperTestServer): Promise<number> {
  const match = /zk_packets_received\s+(\d+)/.exec(await fourLetterWord(zk.port, 'mntr'));
  return Number(match?.[1] ?? NaN);
}

const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
const nextSecond = (offsetMs: number) => (Math.floor(Date.now() / 1000) + 1) * 1000 + offsetMs;

async function counters(zk: ZookeeperTestServer) {
  return { zxid: await zk.zxid(), packets: await packetsReceived(zk) };
}

async function main() {
  const zk = await ZookeeperTestServer.start();
  const apps: AppProcess[] = [];
  const start = async (ip: string, monitorExecution = true, namespace = 'bench-cluster') => {
    const app = AppProcess.spawn(ip, [APP], {
      ZK_SERVERS: zk.connectString,
      ZK_NAMESPACE: namespace,
      INSTANCE_IP: ip,
      JOB_TOTAL: String(ITEMS),
      MONITOR_EXECUTION: String(monitorExecution),
    });
    apps.push(app);
    await app.waitForEvent('started', 30_000);
    return app;
  };
  const runs = (): Run[] =>
    apps.flatMap((app) => app.of('run').map((e) => ({ item: Number(e.item), at: Number(e.at), ip: String(e.ip) })));
  const rows: Record<string, string | number>[] = [];
  try {
    for (const monitorExecution of [true, false]) {
      const namespace = `bench-cluster-${monitorExecution ? 'on' : 'off'}`;
      const group = await Promise.all(
        ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => start(ip, monitorExecution, namespace)),
      );
      await sleepUntil(nextSecond(3000));
      // Idle rate (pings and watches of the idle instances) between fires is part of the count: measure whole seconds.
      const fires = 10;
      const from = nextSecond(500);
      await sleepUntil(from);
      const before = await counters(zk);
      await sleepUntil(from + fires * 1000);
      const after = await counters(zk);
      rows.push({
        scenario: `3 instances, ${ITEMS} items, monitorExecution ${monitorExecution ? 'on' : 'off'}`,
        'ZK writes/fire': (after.zxid - before.zxid) / fires,
        'ZK writes/item/fire': Number(((after.zxid - before.zxid) / fires / ITEMS).toFixed(2)),
        'ZK requests/fire (all kinds)': Number(((after.packets - before.packets) / fires).toFixed(1)),
      });
      await Promise.all(group.map((app) => app.stop('SIGKILL')));
      apps.length = 0;
    }

    // Join and graceful leave, monitorExecution on.
    await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => start(ip)));
    await sleepUntil(nextSecond(3000));
    const joining = await start('127.0.0.5');
    const joinedAt = Number(joining.of('started')[0].at);
    await waitFor(() => joining.of('run').length > 0, 10_000, 'the joining instance to run');
    const joinFirstRun = Math.min(...joining.of('run').map((e) => Number(e.at)));
    await sleepUntil(nextSecond(2000));

    const leaving = apps.find((app) => app.name === '127.0.0.3')!;
    const leavingItems = new Set(
      leaving
        .of('run')
        .slice(-3)
        .map((e) => Number(e.item)),
    );
    const leaveAt = Date.now();
    await leaving.stop('SIGTERM');
    const stoppedAt = Date.now();
    await waitFor(
      () => runs().some((run) => run.at > leaveAt && run.ip !== '127.0.0.3' && leavingItems.has(run.item)),
      10_000,
      'the items of the leaving instance to run elsewhere',
    );
    const takeover = Math.min(
      ...runs()
        .filter((run) => run.at > leaveAt && run.ip !== '127.0.0.3' && leavingItems.has(run.item))
        .map((run) => run.at),
    );
    await sleepUntil(nextSecond(1500));
    // Misses and duplicates over every whole second of the join/leave phase.
    const seconds = new Map<number, number[]>();
    for (const run of runs()) {
      const second = Math.floor(run.at / 1000);
      seconds.set(second, [...(seconds.get(second) ?? []), run.item]);
    }
    const phase = [...seconds.keys()].filter(
      (s) => s > Math.floor(joinedAt / 1000) - 2 && s < Math.floor(Date.now() / 1000) - 1,
    );
    let missing = 0;
    let duplicates = 0;
    for (const second of phase) {
      const items = seconds.get(second) ?? [];
      missing += ITEMS - new Set(items).size;
      duplicates += items.length - new Set(items).size;
    }
    rows.push({
      scenario: 'join: instance registered -> its first item runs',
      ms: joinFirstRun - joinedAt,
      note: `fire ${Math.floor(joinFirstRun / 1000) - Math.floor(joinedAt / 1000)} after the join`,
    });
    rows.push({
      scenario: 'graceful leave: SIGTERM -> its items run elsewhere',
      ms: takeover - leaveAt,
      note: `process exited after ${stoppedAt - leaveAt} ms (it keeps firing until the hand-over)`,
    });
    rows.push({ scenario: `join + leave phase: ${phase.length} fires`, misses: missing, duplicates });
  } finally {
    await Promise.all(apps.map((app) => app.stop('SIGKILL')));
    await zk.destroy();
  }
  console.table(rows);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
