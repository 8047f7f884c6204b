import { ServerStatisticsApi, ZookeeperRegistryCenter } from '../../lib';
import { AppProcess } from '../support/app-process';
import { Cluster, CLUSTER_APP } from '../support/cluster';
import { AuditedRun, auditedRuns, invariantViolations, lostFires, settledFire } from '../support/run-audit';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// Running as Kubernetes pods do, with real processes of the cluster fixture app: a new IP for every pod, instance ids
// from the pod's IP and name, rolling replacement. (Each process gets its own loopback address as its pod IP.)
describe('Kubernetes', () => {
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let cluster: Cluster;
  let namespace = '';
  let seq = 0;
  const extra = new Map<string, AppProcess>();

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `k8s-${++seq}`;
    cluster = new Cluster({ ZK_SERVERS: zk.connectString, ZK_NAMESPACE: namespace, SESSION_TIMEOUT_MS: '4000' });
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
    await observer.connect();
  });
  afterEach(async () => {
    await cluster.stopAll();
    await Promise.all([...extra.values()].map((app) => app.stop('SIGKILL')));
    extra.clear();
    await observer.close();
  });
  afterAll(async () => {
    await zk.destroy();
  });

  const runs = (): AuditedRun[] => auditedRuns(new Map([...cluster.instances, ...extra]));
  const servers = async () => (await observer.getChildren('/cluster/servers')).sort();
  const settled = (items: number, instances: string[]) => settledFire(runs(), items, instances);
  /** A pod: its own IP, its instance id from POD_IP and HOSTNAME (and CONTAINER_NAME when set). */
  async function startPod(key: string, ip: string, env: Record<string, string>): Promise<AppProcess> {
    const app = AppProcess.spawn(key, [CLUSTER_APP], {
      ZK_SERVERS: zk.connectString,
      ZK_NAMESPACE: namespace,
      SESSION_TIMEOUT_MS: '4000',
      INSTANCE_IP: ip,
      POD_IP: ip,
      CONTAINER_NAME: '',
      ...env,
    });
    extra.set(key, app);
    await app.waitForEvent('started', 30_000);
    return app;
  }

  it('removes the servers of dead pods after the grace period; a disabled one stays, and so does its switch', async () => {
    const env = { JOB_TOTAL: '4', ITEM_MS: '20', STALE_SERVER_GRACE_MS: '2000' };
    await cluster.start('127.0.0.2', env);
    const dead = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
    for (const ip of dead) {
      const app = await cluster.start(ip, env);
      await waitFor(async () => (await servers()).includes(ip), 5_000, `server ${ip} registered`);
      if (ip === '127.0.0.7') {
        // An operator disabled this one before its pod went.
        await observer.update('/cluster/servers/127.0.0.7', 'DISABLED');
      }
      await app.stop('SIGKILL');
    }
    expect(await servers()).toEqual(['127.0.0.2', ...dead]);
    // Sessions end after 4 s; the servers go 2 s after the leader saw their last instance go.
    await waitFor(
      async () => (await servers()).join() === ['127.0.0.2', '127.0.0.7'].join(),
      20_000,
      'the servers of the dead pods to be removed',
    );
    const statistics = await new ServerStatisticsApi(observer).getAllServersBriefInfo();
    expect(statistics.map((server) => server.serverIp).sort()).toEqual(['127.0.0.2', '127.0.0.7']);
    // The live one always stays (the leader's own server).
    expect(await observer.get('/cluster/servers/127.0.0.2')).toBe('ENABLED');

    // A pod restarting on the disabled IP stays disabled: it registers and runs nothing.
    const back = await cluster.start('127.0.0.7', env);
    expect(await observer.get('/cluster/servers/127.0.0.7')).toBe('DISABLED');
    const since = Date.now();
    await waitFor(() => runs().filter((r) => r.start > since).length >= 12, 10_000, 'three fires');
    expect(back.of('run')).toEqual([]);
    expect(back.output.join('\n')).toContain('was disabled by an operator and stays disabled');
  });

  it('takes its instance id from POD_IP and HOSTNAME; two containers with one id: the older gives way', async () => {
    const env = { JOB_TOTAL: '4', ITEM_MS: '50' };
    await startPod('web-a', '127.0.0.2', { ...env, HOSTNAME: 'web-6f7d9c-abcde' });
    await startPod('web-b', '127.0.0.3', { ...env, HOSTNAME: 'web-6f7d9c-fghij' });
    expect(await observer.getChildren('/cluster/instances')).toEqual([
      '127.0.0.2@-@web-6f7d9c-abcde',
      '127.0.0.3@-@web-6f7d9c-fghij',
    ]);
    await waitFor(() => settled(4, ['web-a', 'web-b']) !== undefined, 15_000, 'both pods running items');

    // A second container of pod web-a (same IP and pod name) without its own container name: the same id.
    const twin = await startPod('web-a-twin', '127.0.0.2', { ...env, HOSTNAME: 'web-6f7d9c-abcde' });
    const first = extra.get('web-a')!;
    await waitFor(
      () => first.output.some((line) => line.includes("registered with this instance's id")),
      10_000,
      'the older container to give way',
    );
    const gaveWay = Date.now();
    await waitFor(() => twin.of('run').some((r) => Number(r.at) > gaveWay + 1_500), 10_000, 'the newer to run items');
    expect(first.of('run').filter((r) => Number(r.at) > gaveWay + 500)).toEqual([]);
    expect(await observer.getChildren('/cluster/instances')).toEqual([
      '127.0.0.2@-@web-6f7d9c-abcde',
      '127.0.0.3@-@web-6f7d9c-fghij',
    ]);

    // With the container's name in the id, both containers of one pod run: one server, two instances.
    await startPod('web-a-sidecar', '127.0.0.2', { ...env, HOSTNAME: 'web-6f7d9c-abcde', CONTAINER_NAME: 'worker' });
    expect(await observer.getChildren('/cluster/instances')).toContain('127.0.0.2@-@web-6f7d9c-abcde-worker');
    expect(await servers()).toEqual(['127.0.0.2', '127.0.0.3']);
    await waitFor(
      () =>
        extra.get('web-a-sidecar')!.of('run').length > 0 &&
        twin.of('run').some((r) => Number(r.at) > Date.now() - 1_500),
      15_000,
      'both containers of the pod to run items',
    );
    expect(invariantViolations(runs())).toEqual([]);
  });

  it('a rolling deployment (3 pods replaced one at a time, new IPs, SIGTERM): no fire lost or run twice', async () => {
    const env = { JOB_TOTAL: '6', ITEM_MS: '100', FAILOVER: 'true', GRACE_MS: '5000' };
    const olds = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const news = ['127.0.0.5', '127.0.0.6', '127.0.0.7'];
    await Promise.all(olds.map((ip) => cluster.start(ip, env)));
    await waitFor(() => settled(6, olds) !== undefined, 20_000, 'the 6 items over the 3 old pods');
    const from = settled(6, olds)!;

    const exits: number[] = [];
    for (let i = 0; i < olds.length; i++) {
      // maxSurge 1, maxUnavailable 0: the new pod starts and is ready, then an old one gets SIGTERM.
      await cluster.start(news[i], env);
      const signalled = Date.now();
      expect(await cluster.instances.get(olds[i])!.stop('SIGTERM')).toBe('SIGTERM');
      exits.push(Date.now() - signalled);
    }
    await waitFor(() => (settled(6, news) ?? 0) > Date.now() - 1_500, 20_000, 'the 6 items over the 3 new pods');
    const to = settled(6, news)!;

    const audited = runs().filter((r) => r.fireTime >= from && r.fireTime <= to);
    expect(invariantViolations(audited)).toEqual([]);
    expect(lostFires(audited, [0, 1, 2, 3, 4, 5], from, to)).toEqual([]);
    // Each old pod left well within Kubernetes' default terminationGracePeriodSeconds (30 s).
    expect(Math.max(...exits)).toBeLessThan(5_000 + 2_000);
    process.stdout.write(
      `rolling deployment: ${audited.length} runs of ${(to - from) / 1000 + 1} fires x 6 items, 0 lost, 0 twice; ` +
        `SIGTERM to exit ${exits.join(', ')} ms\n`,
    );
  });
});
