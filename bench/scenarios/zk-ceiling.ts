import { ZookeeperRegistryCenter } from '../../lib';
import { ZookeeperTestServer } from '../../test/support/zookeeper-server';
import { BenchRow, progress, quickMode, runScenario } from '../support/bench-row';
import { round } from '../support/stats';
import { countersSince, zkCounters } from '../support/zk-counters';

/**
 * The write ceiling of the harness's ZooKeeper on this machine (standalone, data on local disk, fsync on): several
 * sessions keep many `setData` requests in flight for a few seconds; the figure is the server's own count of writes
 * processed per second. What the jobs need is compared against it in the table.
 */
const SESSIONS = Number(process.env.SESSIONS ?? 8);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 128);

async function main(): Promise<BenchRow[]> {
  const seconds = quickMode() ? 3 : 6;
  const zk = await ZookeeperTestServer.start();
  const clients = Array.from(
    { length: SESSIONS },
    () => new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: 'ceiling' }),
  );
  try {
    await Promise.all(clients.map((client) => client.connect()));
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => clients[0].persist(`/load/${i}`, '')));
    progress(`ZooKeeper write ceiling: ${SESSIONS} sessions x ${IN_FLIGHT} writes in flight, ${seconds} s`);
    const deadline = Date.now() + seconds * 1000;
    const before = await zkCounters(zk);
    const started = Date.now();
    await Promise.all(
      clients.flatMap((client) =>
        Array.from({ length: IN_FLIGHT }, async (_, i) => {
          while (Date.now() < deadline) {
            await client.update(`/load/${i}`, String(Date.now()));
          }
        }),
      ),
    );
    const elapsed = (Date.now() - started) / 1000;
    const traffic = countersSince(before, await zkCounters(zk));
    return [
      {
        section: 'coordination',
        system: 'ZooKeeper',
        setup: `write ceiling: setData, ${SESSIONS} sessions x ${IN_FLIGHT} in flight, ${seconds} s`,
        writesPerSecond: round(traffic.writes / elapsed),
      },
    ];
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await zk.destroy();
  }
}

runScenario(main);
