import { ZookeeperRegistryCenter } from '../../lib';
import { RESHARD_MARGIN_MS } from '../../lib/sharding';
import { Cluster, nowSecond, untilSecond } from '../support/cluster';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// Real processes (the cluster fixture app), one ZooKeeper; a 9-item job on a 1-second cron.
describe('a cluster of instances', () => {
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let cluster: Cluster;
  let namespace = '';
  let seq = 0;
  const ITEMS = [0, 1, 2, 3, 4, 5, 6, 7, 8];

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `cluster-${++seq}`;
    cluster = new Cluster({ ZK_SERVERS: zk.connectString, ZK_NAMESPACE: namespace, JOB_TOTAL: '9' });
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
    await observer.connect();
  });
  afterEach(async () => {
    await cluster.stopAll();
    await observer.close();
  });
  afterAll(async () => {
    await zk.destroy();
  });

  /** Every item once per fire over the seconds `from..to`; returns the items of each instance (ip) in those fires. */
  function expectEveryItemOncePerFire(from: number, to: number): Map<string, Set<number>> {
    const owners = new Map<string, Set<number>>();
    for (const [second, runs] of cluster.bySecond(from, to)) {
      expect({ second, items: runs.map((run) => run.item).sort((a, b) => a - b) }).toEqual({ second, items: ITEMS });
      for (const run of runs) {
        owners.set(run.ip, (owners.get(run.ip) ?? new Set()).add(run.item));
      }
    }
    return owners;
  }

  const ownersNow = async () => {
    const owners = new Map<string, number[]>();
    for (const item of ITEMS) {
      const owner = await observer.get(`/cluster/sharding/${item}/instance`);
      const ip = owner?.split('@-@')[0] ?? 'none';
      owners.set(ip, [...(owners.get(ip) ?? []), item]);
    }
    return owners;
  };

  it('splits 9 items over 3 instances, 3 each, every item once per fire', async () => {
    await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => cluster.start(ip)));
    const from = nowSecond() + 2;
    await untilSecond(from + 5);
    const owners = expectEveryItemOncePerFire(from, from + 4);
    expect([...owners.values()].map((items) => items.size)).toEqual([3, 3, 3]);
    expect(cluster.duplicates()).toEqual([]);
    expect(await observer.get('/cluster/leader/election/instance')).toMatch(/^127\.0\.0\.[234]@-@\d+$/);
  });

  it('gives items to a 4th instance from the next fire on, and takes them back when one leaves gracefully', async () => {
    await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => cluster.start(ip)));
    const steady = nowSecond() + 2;
    await untilSecond(steady + 1);

    const joining = await cluster.start('127.0.0.5');
    const joined = Number(joining.of('started')[0].at);
    await waitFor(() => joining.of('run').length > 0, 5000, 'the new instance to run an item');
    const firstRun = Math.min(...joining.of('run').map((e) => Number(e.at)));
    // The next fire, or the one after when the join came within the reshard margin of a fire.
    expect(Math.floor(firstRun / 1000)).toBeLessThanOrEqual(Math.floor((joined + RESHARD_MARGIN_MS) / 1000) + 1);
    const afterJoin = nowSecond() + 1;
    await untilSecond(afterJoin + 3);
    const owners = expectEveryItemOncePerFire(afterJoin, afterJoin + 2);
    expect([...owners.values()].map((items) => items.size).sort()).toEqual([2, 2, 2, 3]);

    const leaving = cluster.instances.get('127.0.0.3')!;
    const leftAt = Date.now();
    // Nest's shutdown hooks close the application, then end the process with the signal it received.
    expect(await leaving.stop('SIGTERM')).toBe('SIGTERM');
    const afterLeave = Math.floor(leftAt / 1000) + 1;
    await untilSecond(afterLeave + 3);
    const remaining = expectEveryItemOncePerFire(afterLeave, afterLeave + 2);
    expect([...remaining.keys()].sort()).toEqual(['127.0.0.2', '127.0.0.4', '127.0.0.5']);
    // No fire was missed through the join and the leave.
    expectEveryItemOncePerFire(steady, afterLeave + 2);
    expect(cluster.duplicates()).toEqual([]);
  });

  it('gives no item to a disabled server, and runs a disabled item nowhere', async () => {
    await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => cluster.start(ip)));
    await waitFor(async () => (await ownersNow()).size === 3, 10_000, 'first assignment');
    await observer.update('/cluster/servers/127.0.0.3', 'DISABLED');
    await observer.persist('/cluster/sharding/4/disabled', '');
    await waitFor(async () => !(await ownersNow()).has('127.0.0.3'), 10_000, 'reshard without the disabled server');
    const from = nowSecond() + 1;
    await untilSecond(from + 3);
    for (const [, runs] of cluster.bySecond(from, from + 2)) {
      expect(runs.map((run) => run.item).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
      expect(runs.some((run) => run.ip === '127.0.0.3')).toBe(false);
    }
    expect(cluster.duplicates()).toEqual([]);
  });

  it('applies a change of shardingTotalCount in ZooKeeper at the next fire', async () => {
    await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => cluster.start(ip)));
    await waitFor(async () => (await ownersNow()).size === 3, 10_000, 'first assignment');
    const yaml = (await observer.get('/cluster/config'))!.replace(/^shardingTotalCount: .*$/m, 'shardingTotalCount: 4');
    await observer.update('/cluster/config', yaml);
    const changedAt = nowSecond();
    const from = changedAt + 2;
    await untilSecond(from + 3);
    for (const [, runs] of cluster.bySecond(from, from + 2)) {
      expect(runs.map((run) => run.item).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
    }
    expect(await observer.exists('/cluster/sharding/8')).toBe(false);
    expect(cluster.duplicates()).toEqual([]);
  });
});
