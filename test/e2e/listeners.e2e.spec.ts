import { ShardingOperateApi, ZookeeperRegistryCenter } from '../../lib';
import { AppEvent } from '../support/app-process';
import { Cluster, nowSecond, untilSecond } from '../support/cluster';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// Listeners around the executions of a job, per execution and once per cluster (distribute-once), in real instance
// processes (test/fixtures/cluster-app.ts) against a real ZooKeeper, audited per (job, item, fire).
describe('job listeners', () => {
  const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let cluster: Cluster;
  let namespace = '';
  let seq = 0;

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `listeners-${++seq}`;
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

  const start = async (env: Record<string, string>, ips = IPS) => {
    cluster = new Cluster({ ZK_SERVERS: zk.connectString, ZK_NAMESPACE: namespace, JOB_TOTAL: '9', ...env });
    await Promise.all(ips.map((ip) => cluster.start(ip)));
    await settled(ips.length);
  };
  /** Every item has an owner among `count` instances. */
  const settled = (count: number) =>
    waitFor(
      async () => {
        const owners = await Promise.all(
          Array.from({ length: 9 }, (_, item) => observer.get(`/cluster/sharding/${item}/instance`).catch(() => null)),
        );
        return owners.every(Boolean) && new Set(owners).size === count;
      },
      15_000,
      `the items assigned over ${count} instance(s)`,
    );
  const all = (event: string): AppEvent[] => [...cluster.instances.values()].flatMap((app) => app.of(event));
  const ofFire = (events: AppEvent[], fireTime: number) => events.filter((event) => event.fireTime === fireTime);
  /** The runs (start and end) of each item of one fire, from every instance. */
  const runsOf = (fireTime: number) => {
    const starts = ofFire(all('run'), fireTime);
    const ends = ofFire(all('end'), fireTime);
    return { starts, ends };
  };

  it('call per-execution listeners around each instance’s items of each execution, with its items only', async () => {
    await start({ LISTENER_TYPES: 'audit', ITEM_MS: '200' });
    const from = nowSecond() + 1;
    await untilSecond(from + 4, 600);
    for (const app of cluster.instances.values()) {
      const befores = app.of('listener-before').filter((e) => (e.fireTime as number) >= from * 1000);
      const fires = new Set(
        app
          .of('run')
          .filter((e) => (e.fireTime as number) >= from * 1000)
          .map((e) => e.fireTime),
      );
      expect(befores.length).toBeGreaterThanOrEqual(3);
      for (const fireTime of fires) {
        const [before] = ofFire(app.of('listener-before'), fireTime as number);
        const [after] = ofFire(app.of('listener-after'), fireTime as number);
        const runs = ofFire(app.of('run'), fireTime as number);
        const ends = ofFire(app.of('end'), fireTime as number);
        if (!after || ends.length < runs.length) {
          continue; // the last fire, still running
        }
        expect((before.items as number[]).slice().sort()).toEqual(runs.map((run) => run.item).sort());
        expect(
          Object.keys(before.parameters as object)
            .map(Number)
            .sort(),
        ).toEqual((before.items as number[]).slice().sort());
        expect(before.at as number).toBeLessThanOrEqual(Math.min(...runs.map((run) => run.at as number)));
        expect(after.at as number).toBeGreaterThanOrEqual(Math.max(...ends.map((end) => end.at as number)));
      }
    }
  });

  it('report a failing listener to the error handler and still run the items', async () => {
    await start({ LISTENER_TYPES: 'audit', AUDIT_THROWS: 'true', RECORD_ERRORS: 'true' }, IPS.slice(0, 1));
    await waitFor(() => all('job-error').length >= 2 && all('run').length >= 18, 10_000, 'two fires');
    expect(all('job-error')[0].message).toBe('audit listener failed');
    expect(all('listener-after').length).toBeGreaterThanOrEqual(1);
  });

  /** Per fire from `from` (epoch s) to `to`: the cluster's once-before and once-after, checked against the runs. */
  const auditOnce = (from: number, to: number, { skip = new Set<number>() } = {}) => {
    const checked: number[] = [];
    for (let second = from; second <= to; second++) {
      const fireTime = second * 1000;
      if (skip.has(fireTime)) {
        continue;
      }
      const { starts, ends } = runsOf(fireTime);
      if (starts.length === 0) {
        continue; // no fire at that second (a slower cron)
      }
      const befores = ofFire(all('once-before'), fireTime);
      const afters = ofFire(all('once-after'), fireTime);
      expect({ fireTime, befores: befores.length, afters: afters.length }).toEqual({ fireTime, befores: 1, afters: 1 });
      expect(befores[0].at as number).toBeLessThanOrEqual(Math.min(...starts.map((run) => run.at as number)));
      expect(afters[0].at as number).toBeGreaterThanOrEqual(Math.max(...ends.map((end) => end.at as number)));
      checked.push(fireTime);
    }
    return checked;
  };

  it('run a distribute-once listener exactly once per fire in the cluster: before every item, after every item', async () => {
    await start({ LISTENER_TYPES: 'once', ITEM_MS: '150' });
    const from = nowSecond() + 1;
    await untilSecond(from + 20, 100);
    await waitFor(() => ofFire(all('once-after'), (from + 19) * 1000).length > 0, 10_000, 'the 20th fire ended');
    expect(auditOnce(from, from + 19)).toHaveLength(20);
    // Every item of every one of those fires ran exactly once.
    for (let second = from; second < from + 20; second++) {
      expect(
        runsOf(second * 1000)
          .starts.map((run) => run.item)
          .sort(),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('still run it once per fire when an instance joins and when an item is disabled', async () => {
    await start({ LISTENER_TYPES: 'once', ITEM_MS: '150' }, IPS.slice(0, 2));
    const from = nowSecond() + 1;
    await cluster.start(IPS[2]);
    await settled(3);
    await new ShardingOperateApi(observer).disable('cluster', 4);
    const disabledFrom = nowSecond() + 2;
    // At least 6 fires from before the join to after the disable (however fast the join was).
    const to = Math.max(nowSecond() + 4, from + 5);
    await untilSecond(to + 1, 100);
    await waitFor(() => ofFire(all('once-after'), to * 1000).length > 0, 10_000, 'the last fire ended');
    expect(auditOnce(from, to).length).toBeGreaterThanOrEqual(6);
    for (let second = disabledFrom; second <= to; second++) {
      expect(runsOf(second * 1000).starts.map((run) => run.item)).not.toContain(4);
    }
  });

  it('run the end of a fire once after the failover runs of an instance killed mid-item, and never twice', async () => {
    await start(
      {
        LISTENER_TYPES: 'once',
        JOB_CRON: '0/3 * * * * ?',
        ITEM_MS: '600',
        FAILOVER: 'true',
        ONCE_STARTED_TIMEOUT_MS: '1000',
      },
      IPS,
    );
    const from = nowSecond() + 1;
    const victim = cluster.instances.get(IPS[1])!;
    const seen = victim.of('run').length;
    await waitFor(() => victim.of('run').length > seen, 10_000, 'the victim running an item');
    const killedFire = victim.of('run').at(-1)!.fireTime as number;
    victim.child.kill('SIGKILL');
    await waitFor(() => ofFire(all('once-after'), killedFire).length > 0, 30_000, 'the end of the killed fire');
    const failoverEnds = ofFire(all('end'), killedFire).filter((end) => end.source === 'FAILOVER');
    expect(failoverEnds.map((end) => end.item).sort()).toEqual(
      ofFire(victim.of('run'), killedFire)
        .map((run) => run.item)
        .sort(),
    );
    const [after] = ofFire(all('once-after'), killedFire);
    expect(after.at as number).toBeGreaterThanOrEqual(Math.max(...failoverEnds.map((end) => end.at as number)));
    expect(ofFire(all('once-before'), killedFire)).toHaveLength(1);
    // Once the others own every item, every fire has its listener once again; never twice in between.
    await settled(2);
    const steady = nowSecond() + 1;
    await untilSecond(steady + 7, 900);
    const to = nowSecond();
    await waitFor(
      () => all('once-after').some((e) => (e.fireTime as number) >= (to - 3) * 1000),
      10_000,
      'a fire after the reshard ended',
    );
    for (let second = from; second <= to; second++) {
      expect(ofFire(all('once-before'), second * 1000).length).toBeLessThanOrEqual(1);
      expect(ofFire(all('once-after'), second * 1000).length).toBeLessThanOrEqual(1);
    }
    expect(auditOnce(steady, to - 3).length).toBeGreaterThanOrEqual(1);
  });

  it('count the items of an instance killed without failover as ended once its session is gone', async () => {
    await start(
      { LISTENER_TYPES: 'once', JOB_CRON: '0/3 * * * * ?', ITEM_MS: '600', ONCE_STARTED_TIMEOUT_MS: '1000' },
      IPS,
    );
    const victim = cluster.instances.get(IPS[1])!;
    const seen = victim.of('run').length;
    await waitFor(() => victim.of('run').length > seen, 10_000, 'the victim running an item');
    const killedFire = victim.of('run').at(-1)!.fireTime as number;
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await waitFor(() => ofFire(all('once-after'), killedFire).length > 0, 20_000, 'the end of the killed fire');
    expect(ofFire(all('once-after'), killedFire)).toHaveLength(1);
    expect(ofFire(all('once-before'), killedFire)).toHaveLength(1);
    // Not before the killed instance's session ended (4 s): until then its items could still be running.
    expect(ofFire(all('once-after'), killedFire)[0].at as number).toBeGreaterThan(killedAt + 3000);
    expect(all('run').filter((run) => run.source === 'FAILOVER')).toEqual([]);
  });

  it('end a fire once when an instance leaves gracefully in the middle of it', async () => {
    await start(
      { LISTENER_TYPES: 'once', JOB_CRON: '0/3 * * * * ?', ITEM_MS: '1200', FAILOVER: 'true', GRACE_MS: '5000' },
      IPS,
    );
    const leaver = cluster.instances.get(IPS[2])!;
    const seen = leaver.of('run').length;
    await waitFor(() => leaver.of('run').length > seen, 10_000, 'the leaver running an item');
    const fire = leaver.of('run').at(-1)!.fireTime as number;
    await leaver.stop('SIGTERM');
    await waitFor(() => ofFire(all('once-after'), fire).length > 0, 20_000, 'the end of the fire');
    const ends = ofFire(all('end'), fire);
    expect(ends.map((end) => end.item).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ofFire(all('once-after'), fire)).toHaveLength(1);
    expect(ofFire(all('once-after'), fire)[0].at as number).toBeGreaterThanOrEqual(
      Math.max(...ends.map((end) => end.at as number)),
    );
  });

  it('end a wait at its timeout with an error, run the items anyway, and leave the next fires unaffected', async () => {
    cluster = new Cluster({
      ZK_SERVERS: zk.connectString,
      ZK_NAMESPACE: namespace,
      JOB_TOTAL: '9',
      LISTENER_TYPES: 'once',
      RECORD_ERRORS: 'true',
      ONCE_STARTED_TIMEOUT_MS: '400',
      ONCE_COMPLETED_TIMEOUT_MS: '2000',
    });
    const survivor = await cluster.start(IPS[0]);
    // An instance whose application has no `once` listener: its items of each fire are never registered.
    const other = await cluster.start(IPS[1], { LISTENER_TYPES: '', NO_ONCE_PROVIDER: 'true' });
    await settled(2);
    const timedOut = () =>
      survivor.of('job-error').filter((e) => /startedTimeoutMilliseconds/.test(e.message as string));
    await waitFor(() => timedOut().length >= 2, 10_000, 'the start wait timing out');
    expect(timedOut()[0].message).toMatch(/the items run without it/);
    const fireTime = Date.parse(/fire at (\S+) did not/.exec(timedOut()[0].message as string)![1]);
    // The items ran anyway at that fire, and no `before` ran for it.
    expect(ofFire(survivor.of('run'), fireTime).length).toBeGreaterThan(0);
    expect(ofFire(all('once-before'), fireTime)).toEqual([]);
    // Once the survivor owns every item, each fire has its listener once again.
    await other.stop('SIGTERM');
    await settled(1);
    const from = nowSecond() + 2;
    await untilSecond(from + 4, 600);
    await waitFor(() => ofFire(all('once-after'), (from + 3) * 1000).length > 0, 10_000, 'fires after the reshard');
    expect(auditOnce(from, from + 3)).toHaveLength(4);
  });
});
