import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZookeeperRegistryCenter } from '../../lib';
import { AppProcess } from '../support/app-process';
import { Cluster, CLUSTER_APP } from '../support/cluster';
import {
  AuditedRun,
  auditedRuns,
  Cut,
  invariantViolations,
  lostFires,
  repeatedRuns,
  settledFire,
} from '../support/run-audit';
import { TcpProxy } from '../support/tcp-proxy';
import { fourLetterWord, waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// Fault tolerance with real processes of the cluster fixture app and the harness's ZooKeeper: instances killed,
// stopped, cut off; ZooKeeper stopped; items that overrun their fire. Every test checks the invariants from the runs
// the processes report: for each (item, fire) at most one run that was not cut short, and never two runs of an item
// at overlapping times.
const SESSION_TIMEOUT_MS = 4000;

describe('fault tolerance', () => {
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let cluster: Cluster;
  let namespace = '';
  let seq = 0;
  const killedAt = new Map<string, number>();
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `chaos-${++seq}`;
    killedAt.clear();
    cluster = new Cluster({
      ZK_SERVERS: zk.connectString,
      ZK_NAMESPACE: namespace,
      SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      CONNECTION_TIMEOUT_MS: '3000',
    });
    observer = new ZookeeperRegistryCenter({
      serverLists: zk.connectString,
      namespace,
      sessionTimeoutMilliseconds: SESSION_TIMEOUT_MS,
    });
    await observer.connect();
  });
  afterEach(async () => {
    // CHAOS_LOG_DIR=dir keeps every process's output, for looking into a failure.
    const logDir = process.env.CHAOS_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      for (const [ip, app] of cluster.instances) {
        writeFileSync(join(logDir, `${namespace}-${ip}.log`), app.output.join('\n'));
      }
    }
    await cluster.stopAll();
    await observer.close();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(async () => {
    await zk.destroy();
  });

  const runs = () => auditedRuns(cluster.instances, killedAt);
  const expectInvariants = () => expect(invariantViolations(runs())).toEqual([]);
  const startAll = (ips: string[], env: Record<string, string>) => Promise.all(ips.map((ip) => cluster.start(ip, env)));
  /** Resolves with the first run matching `predicate`, waiting up to `timeoutMs`. */
  async function runWhere(predicate: (run: AuditedRun) => boolean, timeoutMs: number, what: string) {
    await waitFor(() => runs().some(predicate), timeoutMs, what);
    return runs().find(predicate)!;
  }
  const ownerOf = async (item: number) => (await observer.get(`/cluster/sharding/${item}/instance`))?.split('@-@')[0];

  // Three items, one per instance; item 0 runs 6 s once the cluster has settled (LONG_FROM), the others 100 ms.
  // AVG_ALLOCATION takes the instances in reverse order: item 0 goes to 127.0.0.4.
  const longItemEnv = () => ({
    JOB_TOTAL: '3',
    LONG_ITEMS: '0',
    LONG_MS: '6000',
    LONG_FROM: String(Date.now() + 7_000),
    ITEM_MS: '100',
    FAILOVER: 'true',
  });
  const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  /** The first normal run of the long item 0, on 127.0.0.4. */
  const longRun = () =>
    runWhere(
      (r) => r.item === 0 && r.source === 'NORMAL_TRIGGER' && r.instance === '127.0.0.4' && r.start >= longFrom(),
      20_000,
      'the long run of item 0 on 127.0.0.4',
    );
  let longFromValue = 0;
  const longFrom = () => longFromValue;
  const startLong = async (extra: Record<string, string>, proxied?: TcpProxy) => {
    const env = { ...longItemEnv(), ...extra };
    longFromValue = Number(env.LONG_FROM);
    // Behind a proxy, item 0 is long only on the instance cut off: its failover run elsewhere is short.
    await startAll(IPS.slice(0, 2), proxied ? { ...env, LONG_ITEMS: '' } : env);
    await cluster.start('127.0.0.4', proxied ? { ...env, ZK_SERVERS: proxied.connectString } : env);
  };

  it('kill -9 in the middle of a long item: it runs again exactly once on a survivor, within session timeout + 1 s', async () => {
    await startLong({ MISFIRE: 'false' });
    const victim = await longRun();
    await waitFor(() => Date.now() >= victim.start + 500, 2_000);
    const killed = Date.now();
    killedAt.set(victim.instance, killed);
    await cluster.instances.get(victim.instance)!.stop('SIGKILL');

    const rerun = await runWhere(
      (r) => r.item === 0 && r.source === 'FAILOVER',
      SESSION_TIMEOUT_MS + 5_000,
      'the failover run of item 0',
    );
    expect(rerun.fireTime).toBe(victim.fireTime);
    expect(rerun.instance).not.toBe(victim.instance);
    expect(rerun.token).toBeGreaterThan(victim.token);
    expect(rerun.start - killed).toBeLessThanOrEqual(SESSION_TIMEOUT_MS + 1_000);
    process.stdout.write(
      `kill -9 -> failover run: ${rerun.start - killed} ms (session timeout ${SESSION_TIMEOUT_MS})\n`,
    );
    // The other survivor does not run it as well, not even later.
    await waitFor(() => runs().some((r) => r.item === 0 && r.start > rerun.start && r.source !== 'FAILOVER'), 15_000);
    expect(runs().filter((r) => r.item === 0 && r.source === 'FAILOVER')).toHaveLength(1);
    expect(await observer.getChildren('/cluster/leader/failover/items')).toEqual([]);
    expectInvariants();
  });

  it('a failover taker that dies in the middle of the item hands it on again', async () => {
    await startLong({ MISFIRE: 'false' });
    const victim = await longRun();
    killedAt.set(victim.instance, Date.now());
    await cluster.instances.get(victim.instance)!.stop('SIGKILL');
    const first = await runWhere((r) => r.item === 0 && r.source === 'FAILOVER', 10_000, 'the first failover run');
    await waitFor(() => Date.now() >= first.start + 500, 2_000);
    killedAt.set(first.instance, Date.now());
    await cluster.instances.get(first.instance)!.stop('SIGKILL');

    // The last instance may be running its own (6 s) run of item 0 when the entry appears: it claims it after that.
    const second = await runWhere(
      (r) => r.item === 0 && r.source === 'FAILOVER' && r.start > first.start,
      SESSION_TIMEOUT_MS + 6_000 + 5_000,
      'the second failover run',
    );
    expect(second.fireTime).toBe(victim.fireTime);
    expect([victim.instance, first.instance]).not.toContain(second.instance);
    expect(second.token).toBeGreaterThan(first.token);
    expectInvariants();
  });

  it('SIGTERM in the middle of an item: after the grace period the item is handed over within 1 s', async () => {
    await startLong({ GRACE_MS: '300' });
    const victim = await longRun();
    await waitFor(() => Date.now() >= victim.start + 500, 2_000);
    const signalled = Date.now();
    const leaving = cluster.instances.get(victim.instance)!;
    const exited = leaving.stop('SIGTERM');
    // (Nest's shutdown hooks end the process with the signal once the application has closed.)

    const rerun = await runWhere((r) => r.item === 0 && r.source === 'FAILOVER', 5_000, 'the failover run');
    expect(await exited).toBe('SIGTERM');
    const aborted = runs().find((r) => r.instance === victim.instance && r.item === 0 && r.start === victim.start)!;
    expect(aborted.cut).toBe(true);
    expect(rerun.fireTime).toBe(victim.fireTime);
    expect(rerun.start - signalled).toBeLessThanOrEqual(300 + 1_000);
    expect(rerun.start).toBeGreaterThanOrEqual(aborted.end);
    process.stdout.write(
      `SIGTERM -> aborted after ${aborted.end - signalled} ms (grace 300) -> failover run ${rerun.start - aborted.end} ms later\n`,
    );
    // The items of the one that left run on the others from the next fires on.
    await waitFor(async () => (await ownerOf(1)) !== victim.instance && (await ownerOf(2)) !== victim.instance, 5_000);
    expect(runs().filter((r) => r.item === 0 && r.source === 'FAILOVER')).toHaveLength(1);
    expectInvariants();
  });

  it('an instance cut off from ZooKeeper stops its items before the others take them over', async () => {
    const proxy = await TcpProxy.start(zk.port);
    proxies.push(proxy);
    // The instance that will be cut off (127.0.0.4, which runs the long item 0) reaches ZooKeeper through the proxy.
    await startLong({ LONG_MS: '20000', MISFIRE: 'false' }, proxy);
    const isolated = await longRun();

    const t0 = Date.now();
    proxy.cut({ silent: true });
    const stopped = await runWhere(
      (r) => r.instance === '127.0.0.4' && r.start === isolated.start && r.end !== Infinity,
      SESSION_TIMEOUT_MS + 2_000,
      'the cut-off instance to abort item 0',
    );
    const taken = await runWhere(
      (r) => r.item === 0 && r.instance !== '127.0.0.4' && r.start > t0,
      SESSION_TIMEOUT_MS + 6_000,
      'a survivor to run item 0',
    );
    const t1 = stopped.end;
    const t2 = taken.start;
    expect(stopped.cut).toBe(true);
    expect(t1).toBeLessThan(t2);
    expect(taken.source).toBe('FAILOVER');
    expect(taken.fireTime).toBe(isolated.fireTime);
    expect(taken.token).toBeGreaterThan(isolated.token);
    process.stdout.write(
      `partition: cut at t0, local stop t1 = t0 + ${t1 - t0} ms, survivor start t2 = t0 + ${t2 - t0} ms ` +
        `(session timeout ${SESSION_TIMEOUT_MS} ms)\n`,
    );
    // Nothing starts on the cut-off instance while it is cut off.
    expect(runs().filter((r) => r.instance === '127.0.0.4' && r.start > t1)).toEqual([]);

    // Back: it rejoins with a new session and gets items again, with no duplicate run.
    proxy.restore();
    await waitFor(
      () => runs().some((r) => r.instance === '127.0.0.4' && r.start > Date.now() - 1_500 && r.start > t2),
      20_000,
      'the instance to run items again',
    );
    expectInvariants();
  });

  it('ZooKeeper stopped for 5 s and started again: every instance resumes, no duplicate run', async () => {
    const ips = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    await startAll(ips, { JOB_TOTAL: '6', ITEM_MS: '50', FAILOVER: 'true' });
    await waitFor(() => ips.every((ip) => runs().some((r) => r.instance === ip)), 15_000, 'all instances running');
    await zk.stop();
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const restarting = Date.now();
    await zk.restart();
    const restartedAt = Date.now();
    await waitFor(
      () => ips.every((ip) => runs().some((r) => r.instance === ip && r.start > restartedAt)),
      30_000,
      'every instance to run items after the restart',
    );
    // While ZooKeeper was down, nothing started once the leases ran out.
    const lease = SESSION_TIMEOUT_MS / 2;
    expect(runs().filter((r) => r.start > stoppedAt + lease + 300 && r.start < restarting)).toEqual([]);
    await waitFor(() => Date.now() > restartedAt + 3_000, 5_000);
    expectInvariants();
  });

  it('ZooKeeper restarted empty: the instances write their nodes again and go on', async () => {
    // A server of its own: clients that saw the old data are refused by the empty one for a while.
    const own = await ZookeeperTestServer.start();
    try {
      cluster = new Cluster({ ZK_SERVERS: own.connectString, ZK_NAMESPACE: namespace, SESSION_TIMEOUT_MS: '4000' });
      await wipedAndBack(own);
    } finally {
      await cluster.stopAll();
      await own.destroy();
    }
  });

  async function wipedAndBack(zk: ZookeeperTestServer) {
    const ips = ['127.0.0.2', '127.0.0.3'];
    await startAll(ips, { JOB_TOTAL: '4', ITEM_MS: '20' });
    await waitFor(() => ips.every((ip) => runs().some((r) => r.instance === ip)), 15_000, 'both instances running');
    await zk.restart({ wipe: true });
    const restartedAt = Date.now();
    await waitFor(
      () => ips.every((ip) => runs().some((r) => r.instance === ip && r.start > restartedAt)),
      30_000,
      'both instances to run items after the wipe',
    );
    // Their nodes are back: the server's own list of ephemeral nodes shows both instances. (This process's client
    // saw later transactions than the empty server; the server refuses it until it catches up.)
    await waitFor(
      async () => {
        const dump = await fourLetterWord(zk.port, 'dump');
        return ips.every((ip) => dump.includes(`/${namespace}/cluster/instances/${ip}@-@`));
      },
      10_000,
      'both instance nodes in the server',
    );
    expectInvariants();
  }

  const settled = (items: number, instances: number) => settledFire(runs(), items, instances);
  const untilTime = (time: number) => waitFor(() => Date.now() >= time, Math.max(0, time - Date.now()) + 2_000);

  it('an instance cut off for 12 s and back: every fire runs once (the corner apart), none is lost', async () => {
    const proxy = await TcpProxy.start(zk.port);
    proxies.push(proxy);
    const env = { JOB_TOTAL: '6', ITEM_MS: '300', FAILOVER: 'true' };
    await startAll(['127.0.0.2', '127.0.0.3'], env);
    await cluster.start('127.0.0.4', { ...env, ZK_SERVERS: proxy.connectString });
    await waitFor(() => settled(6, 3) !== undefined, 20_000, 'the 6 items to run over the 3 instances');
    const from = settled(6, 3)!;

    const t0 = Date.now();
    proxy.cut({ silent: true });
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    proxy.restore();
    const restoredAt = Date.now();
    const back = await runWhere(
      (r) => r.instance === '127.0.0.4' && r.start > restoredAt,
      20_000,
      'the instance that was cut off to run items again',
    );
    // Audited up to a fire at which all 6 items ran after it came back.
    await waitFor(() => (settled(6, 3) ?? 0) >= back.fireTime + 2_000, 15_000, 'the cluster to settle again');
    const to = settled(6, 3)!;

    const cuts: Cut[] = [{ instance: '127.0.0.4', from: t0, to: restoredAt }];
    const audited = runs().filter((r) => r.fireTime >= from && r.fireTime <= to);
    expect(invariantViolations(audited, cuts)).toEqual([]);
    expect(lostFires(audited, [0, 1, 2, 3, 4, 5], from, to)).toEqual([]);
    // Back in a new session, it makes up for nothing it missed while cut off: the others ran those fires.
    expect(runs().filter((r) => r.instance === '127.0.0.4' && r.start > restoredAt && r.fireTime < restoredAt)).toEqual(
      [],
    );
    const { corners } = repeatedRuns(audited, cuts);
    const perItem = new Map<number, number>();
    corners.forEach((r) => perItem.set(r.item, (perItem.get(r.item) ?? 0) + 1));
    expect([...perItem.values()].every((count) => count <= 1)).toBe(true);
    const misfires = audited.filter((r) => r.source === 'MISFIRE');
    process.stdout.write(
      `cut 12 s: ${audited.length} runs of fires ${new Date(from).toISOString()}..${new Date(to).toISOString()}, ` +
        `0 duplicates, ${corners.length} corner run(s) (items ${corners.map((r) => r.item)}), ` +
        `${misfires.length} misfire run(s) for fires due while the items had no live owner\n`,
    );
  });

  it('a fire due while its owner is dead runs once on the survivor as a misfire; finished fires are not re-run', async () => {
    const env = {
      JOB_TOTAL: '2',
      ITEM_MS: '100',
      FAILOVER: 'true',
      JOB_CRON: '0/10 * * * * ?',
      SESSION_TIMEOUT_MS: '3000',
    };
    await startAll(['127.0.0.2', '127.0.0.3'], env);
    await waitFor(() => settled(2, 2) !== undefined, 35_000, 'both items to run, one on each instance');
    const settledAt = settled(2, 2)!;
    const victim = runs().find((r) => r.item === 0 && r.fireTime === settledAt)!.instance;
    const survivor = victim === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2';
    let fire = settledAt + 10_000;
    while (fire - Date.now() < 1_000) {
      fire += 10_000;
    }
    await untilTime(fire - 600);
    const killed = Date.now();
    killedAt.set(victim, killed);
    await cluster.instances.get(victim)!.stop('SIGKILL');
    await waitFor(
      async () => !(await observer.getChildren('/cluster/instances')).some((id) => id.startsWith(`${victim}@-@`)),
      10_000,
      'the session of the killed instance to end',
    );
    const sessionEnded = Date.now();

    const catchUp = await runWhere((r) => r.item === 0 && r.fireTime === fire, 25_000, 'item 0 to run the fire');
    expect(catchUp).toMatchObject({ instance: survivor, source: 'MISFIRE' });
    // At once, once the survivor took the item over (between fires: the next fire is far enough), not at the next fire.
    expect(catchUp.start).toBeLessThan(fire + 10_000);
    // The next fire ran as usual on the survivor, and nothing ran twice: not the fire before the kill either.
    await runWhere((r) => r.item === 0 && r.fireTime === fire + 10_000, 15_000, 'item 0 at the next fire');
    expect(runs().filter((r) => r.item === 0 && r.fireTime === fire)).toHaveLength(1);
    expect(runs().filter((r) => r.item === 0 && r.fireTime === settledAt)).toHaveLength(1);
    expect(runs().filter((r) => r.source === 'FAILOVER')).toEqual([]);
    expectInvariants();
    process.stdout.write(
      `owner killed at fire - ${fire - killed} ms; session end seen at kill + ${sessionEnded - killed} ms; ` +
        `the missed fire ran on the survivor at kill + ${catchUp.start - killed} ms (fire + ${catchUp.start - fire} ms)\n`,
    );
  });

  it('a server disabled less than 500 ms before a fire: every item still runs once at that fire', async () => {
    await startAll(['127.0.0.2', '127.0.0.3'], { JOB_TOTAL: '4', ITEM_MS: '50' });
    await waitFor(() => settled(4, 2) !== undefined, 20_000, 'the 4 items to run over both instances');
    const from = settled(4, 2)!;
    const fire = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
    await untilTime(fire - 300);
    await observer.update('/cluster/servers/127.0.0.3', 'DISABLED');
    const switched = Date.now();
    expect(fire - switched).toBeGreaterThan(0);
    expect(fire - switched).toBeLessThan(500);
    await waitFor(
      () => runs().some((r) => r.fireTime >= fire + 4_000) && Date.now() > fire + 4_500,
      10_000,
      'four more fires',
    );
    const audited = runs().filter((r) => r.fireTime >= from && r.fireTime <= fire + 4_000);
    expect(lostFires(audited, [0, 1, 2, 3], from, fire + 4_000)).toEqual([]);
    // The switch applies from the fire after: every item on the other server.
    expect(audited.filter((r) => r.fireTime >= fire + 2_000 && r.instance !== '127.0.0.2')).toEqual([]);
    expect(invariantViolations(audited)).toEqual([]);
  });

  describe('misfire', () => {
    const runsOf = (app: AppProcess) => auditedRuns(new Map([['one', app]]));

    it('a 3-second item on a 1-second cron runs exactly once more right after each overrun', async () => {
      const app = await cluster.start('127.0.0.2', { JOB_TOTAL: '1', ITEM_MS: '3000' });
      await waitFor(() => runsOf(app).filter((r) => r.end !== Infinity).length >= 3, 20_000, 'three runs to end');
      const done = runsOf(app).filter((r) => r.end !== Infinity);
      expect(done[0].source).toBe('NORMAL_TRIGGER');
      for (let i = 1; i < done.length; i++) {
        // Each overrun missed two or three fires: they collapse into one run, started as soon as the item is free.
        expect(done[i].source).toBe('MISFIRE');
        expect(done[i].start - done[i - 1].end).toBeLessThan(300);
        expect(done[i].fireTime).toBeGreaterThan(done[i - 1].fireTime);
      }
      expect(invariantViolations(runsOf(app))).toEqual([]);
    });

    it('fires missed while the event loop was blocked collapse into one run at once', async () => {
      const app = await cluster.start('127.0.0.2', { JOB_TOTAL: '1', BLOCK_ONCE_MS: '3500' });
      await waitFor(() => runsOf(app).filter((r) => r.end !== Infinity).length >= 4, 20_000, 'four runs to end');
      const [blocked, ...after] = runsOf(app);
      expect(blocked.end - blocked.start).toBeGreaterThanOrEqual(3_500);
      // The three or four fires that passed during the block: one run, right after it.
      expect(after[0]).toMatchObject({ source: 'MISFIRE' });
      expect(after[0].start - blocked.end).toBeLessThan(1_000);
      expect(after.slice(1).every((r) => r.source === 'NORMAL_TRIGGER')).toBe(true);
      // It stands for the latest missed fire; the schedule goes on from the next one.
      expect(after[0].fireTime - blocked.fireTime).toBeGreaterThanOrEqual(3_000);
      expect(after[1].fireTime - after[0].fireTime).toBe(1_000);
      expect(invariantViolations(runsOf(app))).toEqual([]);
    });

    it('with misfire off, fires that find the item running are skipped', async () => {
      const app = await cluster.start('127.0.0.2', { JOB_TOTAL: '1', ITEM_MS: '2500', MISFIRE: 'false' });
      await waitFor(() => runsOf(app).filter((r) => r.end !== Infinity).length >= 3, 20_000, 'three runs to end');
      const done = runsOf(app).filter((r) => r.end !== Infinity);
      for (let i = 1; i < done.length; i++) {
        expect(done[i].source).toBe('NORMAL_TRIGGER');
        // The next run waits for the next fire after the item ended: 3 s after the previous start.
        expect(done[i].fireTime - done[i - 1].fireTime).toBe(3000);
      }
      expect(invariantViolations(runsOf(app))).toEqual([]);
    });
  });

  it('an item left running by an instance that is gone is found by the next leader and failed over', async () => {
    // A crash record as a dead instance leaves it: a persistent running marker naming a session that is gone.
    const fireTime = Math.floor(Date.now() / 1000) * 1000 - 5_000;
    await observer.persist('/cluster/sharding/1/running', `127.0.0.9@-@999 deadbeef ${fireTime}`);
    const app = await cluster.start('127.0.0.2', { JOB_TOTAL: '3', FAILOVER: 'true', ITEM_MS: '10' });
    const rerun = await runWhere((r) => r.item === 1 && r.source === 'FAILOVER', 10_000, 'the failover run');
    expect(rerun.fireTime).toBe(fireTime);
    await waitFor(() => app.of('run').filter((e) => e.item === 1).length >= 3, 10_000, 'item 1 to run on');
    expect(runs().filter((r) => r.source === 'FAILOVER')).toHaveLength(1);
    expectInvariants();
  });

  it('refuses to start when the clock is further from ZooKeeper than maxTimeDiffSeconds', async () => {
    const app = AppProcess.spawn('skewed', [CLUSTER_APP], {
      ZK_SERVERS: zk.connectString,
      ZK_NAMESPACE: namespace,
      INSTANCE_IP: '127.0.0.2',
      JOB_TOTAL: '1',
      CLOCK_SKEW_MS: '12000',
      MAX_TIME_DIFF_SECONDS: '5',
    });
    cluster.instances.set('skewed', app);
    const failed = await app.waitForEvent('failed', 20_000);
    expect(failed).toMatchObject({ jobName: 'cluster', field: 'maxTimeDiffSeconds' });
    expect(String(failed.error)).toMatch(/Job "cluster": "maxTimeDiffSeconds" 5: the local clock is 12\.\d s ahead/);

    const fine = await cluster.start('127.0.0.3', { JOB_TOTAL: '1', MAX_TIME_DIFF_SECONDS: '5', ITEM_MS: '10' });
    await fine.waitForEvent('run', 10_000);
    // The clock is read where ElasticJob reads it, under the job: nothing at the namespace root looks like a job.
    expect(await observer.exists('/cluster/systemTime/current')).toBe(true);
    expect(await observer.getChildren('/')).toEqual(['cluster']);
  });
});
