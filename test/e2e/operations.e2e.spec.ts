import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ElasticJobModule,
  JobConfigurationApi,
  JobConfigurationError,
  JobOperateApi,
  JobOperationError,
  JobStatisticsApi,
  ServerStatisticsApi,
  ShardingOperateApi,
  ShardingStatisticsApi,
  ZookeeperRegistryCenter,
} from '../../lib';
import { Cluster, nowSecond, untilSecond } from '../support/cluster';
import { auditedRuns, invariantViolations } from '../support/run-audit';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The operations APIs used from an ops-only application (the module with no job) against a cluster of real instance
// processes: every operation must take effect on every instance.
describe('operations APIs', () => {
  const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  const ITEMS = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let cluster: Cluster;
  let ops: INestApplicationContext;
  let namespace = '';
  let seq = 0;

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `ops-${++seq}`;
    cluster = new Cluster({ ZK_SERVERS: zk.connectString, ZK_NAMESPACE: namespace, JOB_TOTAL: '9' });
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
    await observer.connect();
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: { serverLists: zk.connectString, namespace } })] })
    class OpsModule {}
    ops = await NestFactory.createApplicationContext(OpsModule, { logger: ['error'] });
  });
  afterEach(async () => {
    await cluster.stopAll();
    await ops.close();
    await observer.close();
  });
  afterAll(async () => {
    await zk.destroy();
  });

  const startCluster = async (extra: Record<string, string> = {}) => {
    await Promise.all(IPS.map((ip) => cluster.start(ip, extra)));
    if (extra.JOB_CRON !== 'none') {
      await waitFor(async () => (await ownerIps()).size === 3, 10_000, 'the first assignment');
    }
  };
  const ownerIps = async () => {
    const infos = await ops.get(ShardingStatisticsApi).getShardingInfo('cluster');
    return new Set(infos.map((info) => info.serverIp ?? 'none'));
  };
  /** Items run in each fire (second) from `from` to `to`, with the servers that ran them. */
  const firesBetween = (from: number, to: number) =>
    [...cluster.bySecond(from, to).values()].map((runs) => ({
      items: runs.map((run) => run.item).sort((a, b) => a - b),
      ips: new Set(runs.map((run) => run.ip)),
    }));
  const rejection = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    return error as JobOperationError;
  };

  it('report the jobs, servers and items of a running cluster, and name what is unknown', async () => {
    await startCluster();
    await observer.persist('/systemTime/current', '');
    const jobs = ops.get(JobStatisticsApi);
    expect(await jobs.getJobsTotalCount()).toBe(1);
    expect(await jobs.getAllJobsBriefInfo()).toEqual([
      { jobName: 'cluster', status: 'OK', cron: '* * * * * ?', instanceCount: 3, shardingTotalCount: 9 },
    ]);
    expect(await jobs.getJobsBriefInfo('127.0.0.3')).toEqual([
      { jobName: 'cluster', status: 'OK', cron: '* * * * * ?', instanceCount: 1, shardingTotalCount: 9 },
    ]);
    const servers = await ops.get(ServerStatisticsApi).getAllServersBriefInfo();
    expect(await ops.get(ServerStatisticsApi).getServersTotalCount()).toBe(3);
    expect(
      servers.map((server) => [server.serverIp, server.instancesNum, server.jobsNum, server.disabledJobsNum]),
    ).toEqual(IPS.map((ip) => [ip, 1, 1, 0]));
    const sharding = await ops.get(ShardingStatisticsApi).getShardingInfo('cluster');
    expect(sharding.map((info) => info.item)).toEqual(ITEMS);
    const instances = await observer.getChildren('/cluster/instances');
    for (const info of sharding) {
      expect(instances).toContain(info.instanceId);
      expect(['PENDING', 'RUNNING']).toContain(info.status);
      expect(info.failover).toBe(false);
    }

    const unknownJob = await rejection(jobs.getJobBriefInfo('nope'));
    expect(unknownJob).toBeInstanceOf(JobOperationError);
    expect(unknownJob.message).toContain('Job "nope": no such job');
    expect(unknownJob.field).toBe('jobName');
    expect((await rejection(ops.get(ShardingOperateApi).disable('cluster', 9))).field).toBe('item');
    expect((await rejection(ops.get(ShardingOperateApi).disable('cluster', -1))).message).toContain(
      'must be an integer from 0 to 8',
    );
    expect((await rejection(ops.get(JobOperateApi).disable('cluster', '10.9.9.9'))).field).toBe('serverIp');
    expect((await rejection(ops.get(JobOperateApi).shutdown())).message).toContain('give a job name, a server ip');
    expect((await rejection(jobs.getJobsBriefInfo('10.9.9.9'))).message).toContain('Server "10.9.9.9"');
    expect((await rejection(ops.get(JobConfigurationApi).getJobConfiguration('nope'))).field).toBe('jobName');
  });

  it('disable a server: its items move to the others at the next fire; enable: it gets items again', async () => {
    await startCluster();
    const operate = ops.get(JobOperateApi);
    await operate.disable('cluster', '127.0.0.3');
    await waitFor(async () => !(await ownerIps()).has('127.0.0.3'), 5_000, 'items moved off the disabled server');
    expect(await ops.get(JobStatisticsApi).getJobsBriefInfo('127.0.0.3')).toEqual([
      expect.objectContaining({ jobName: 'cluster', status: 'DISABLED' }),
    ]);
    let from = nowSecond() + 1;
    await untilSecond(from + 2);
    for (const fire of firesBetween(from, from + 1)) {
      expect(fire.items).toEqual(ITEMS);
      expect(fire.ips.has('127.0.0.3')).toBe(false);
    }

    await operate.enable('cluster', '127.0.0.3');
    await waitFor(async () => (await ownerIps()).has('127.0.0.3'), 5_000, 'items back on the enabled server');
    from = nowSecond() + 1;
    await untilSecond(from + 2);
    for (const fire of firesBetween(from, from + 1)) {
      expect(fire.items).toEqual(ITEMS);
      expect(fire.ips.size).toBe(3);
    }
    expect(cluster.duplicates()).toEqual([]);
  });

  it('disable the job on every server: it runs nowhere and reports DISABLED; enable: it runs again', async () => {
    await startCluster();
    // Settled first: a fire run by all three instances (no fire still waiting for the first reshard).
    await waitFor(
      () =>
        [...cluster.bySecond(nowSecond() - 3, nowSecond()).values()].some(
          (runs) => new Set(runs.map((run) => run.ip)).size === 3,
        ),
      15_000,
      'a fire over the three instances',
    );
    await ops.get(JobOperateApi).disable('cluster');
    expect((await ops.get(JobStatisticsApi).getJobBriefInfo('cluster')).status).toBe('DISABLED');
    const from = nowSecond() + 1;
    await untilSecond(from + 2);
    expect(firesBetween(from, from + 1).flatMap((fire) => fire.items)).toEqual([]);
    await ops.get(JobOperateApi).enable('cluster');
    const back = nowSecond() + 2;
    await untilSecond(back + 1);
    expect(firesBetween(back, back)[0].items).toEqual(ITEMS);
  });

  it('disable an item: it runs on no instance; enable: it runs again', async () => {
    await startCluster();
    await ops.get(ShardingOperateApi).disable('cluster', 4);
    expect((await ops.get(ShardingStatisticsApi).getShardingInfo('cluster'))[4].status).toBe('DISABLED');
    let from = nowSecond() + 1;
    await untilSecond(from + 2);
    for (const fire of firesBetween(from, from + 1)) {
      expect(fire.items).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    }
    await ops.get(ShardingOperateApi).enable('cluster', '4' as unknown as number);
    from = nowSecond() + 1;
    await untilSecond(from + 1);
    expect(firesBetween(from, from)[0].items).toEqual(ITEMS);
  });

  it('trigger runs a one-off job once per item; triggers while it runs give exactly one more run, right after', async () => {
    await startCluster({ JOB_CRON: 'none', ITEM_MS: '1500' });
    const operate = ops.get(JobOperateApi);
    const runs = () => auditedRuns(cluster.instances);
    await operate.trigger('cluster');
    await waitFor(() => runs().length === 9, 10_000, 'the triggered runs');
    expect(
      runs()
        .map((run) => run.item)
        .sort((a, b) => a - b),
    ).toEqual(ITEMS);
    await waitFor(() => runs().every((run) => run.end !== Infinity), 10_000, 'the triggered runs to end');

    // Three triggers in a row: the first runs, the other two come while it runs and collapse into one run after it.
    await operate.trigger('cluster');
    await waitFor(() => runs().length === 18, 10_000, 'the second trigger');
    await operate.trigger('cluster');
    await operate.trigger('cluster');
    await waitFor(() => runs().length === 27, 10_000, 'the queued trigger');
    await waitFor(() => runs().every((run) => run.end !== Infinity), 10_000, 'every run to end');
    const settled = Date.now();
    await waitFor(() => Date.now() - settled > 2_000 || runs().length > 27, 3_000, 'no further run');
    expect(runs()).toHaveLength(27);
    for (const item of ITEMS) {
      const [, second, queued] = runs()
        .filter((run) => run.item === item)
        .sort((a, b) => a.start - b.start);
      // The queued trigger starts right after the run it waited for, on the same instance.
      expect(queued.start).toBeGreaterThanOrEqual(second.end);
      expect(queued.start - second.end).toBeLessThan(1_000);
    }
    expect(invariantViolations(runs())).toEqual([]);
  });

  it('trigger names a job that has no instance', async () => {
    await startCluster();
    await ops.get(JobOperateApi).shutdown('cluster');
    await waitFor(async () => (await observer.getChildren('/cluster/instances')).length === 0, 5_000, 'instances gone');
    expect((await rejection(ops.get(JobOperateApi).trigger('cluster'))).message).toContain('no instance runs it');
    expect((await ops.get(JobStatisticsApi).getJobBriefInfo('cluster')).status).toBe('CRASHED');
  });

  it('a cron change reaches every instance: the new cadence everywhere; an invalid change is refused', async () => {
    await startCluster();
    const configs = ops.get(JobConfigurationApi);
    const current = await configs.getJobConfiguration('cluster');
    expect(current).toEqual(expect.objectContaining({ name: 'cluster', cron: '* * * * * ?', shardingTotalCount: 9 }));
    const refused = await rejection(configs.updateJobConfiguration({ ...current, cron: '99 * * * * ?' }));
    expect(refused).toBeInstanceOf(JobConfigurationError);
    expect(refused.field).toBe('cron');
    expect((await configs.getJobConfiguration('cluster')).cron).toBe('* * * * * ?');

    await configs.updateJobConfiguration({ ...current, cron: '0/3 * * * * ?' });
    const from = nowSecond() + 2;
    await untilSecond(from + 6);
    const fires = [...cluster.bySecond(from, from + 5).entries()];
    for (const [second, runs] of fires) {
      const items = runs.map((run) => run.item).sort((a, b) => a - b);
      expect({ second, items }).toEqual({ second, items: second % 3 === 0 ? ITEMS : [] });
    }
    const ips = new Set(fires.flatMap(([, runs]) => runs.map((run) => run.ip)));
    expect(ips.size).toBe(3);
    expect(cluster.duplicates()).toEqual([]);
  });

  it('disabled in the configuration stops the job on every instance, and starts it again', async () => {
    await startCluster();
    const configs = ops.get(JobConfigurationApi);
    const current = await configs.getJobConfiguration('cluster');
    await configs.updateJobConfiguration({ ...current, disabled: true });
    let from = nowSecond() + 1;
    await untilSecond(from + 2);
    expect(firesBetween(from, from + 1).flatMap((fire) => fire.items)).toEqual([]);
    await waitFor(
      async () => (await ops.get(JobStatisticsApi).getJobBriefInfo('cluster')).status === 'DISABLED',
      5_000,
      'every server disabled',
    );
    await configs.updateJobConfiguration({ ...current, disabled: false });
    from = nowSecond() + 2;
    await untilSecond(from + 2);
    for (const fire of firesBetween(from, from + 1)) {
      expect(fire.items).toEqual(ITEMS);
    }
  });

  it('shutdown of one server: its instance stops the job and lives on, the others reshard, nothing stale is left', async () => {
    await startCluster({ ITEM_MS: '300' });
    const stopped = cluster.instances.get('127.0.0.3')!;
    await ops.get(JobOperateApi).shutdown('cluster', '127.0.0.3');
    await waitFor(async () => !(await ownerIps()).has('127.0.0.3'), 5_000, 'the others to reshard');
    const runsBefore = stopped.of('run').length;
    const from = nowSecond() + 1;
    await untilSecond(from + 2);
    for (const fire of firesBetween(from, from + 1)) {
      expect(fire.items).toEqual(ITEMS);
      expect(fire.ips.has('127.0.0.3')).toBe(false);
    }
    expect(stopped.of('run').length).toBe(runsBefore);
    expect(stopped.child.exitCode).toBeNull();
    const instances = await observer.getChildren('/cluster/instances');
    expect(instances.map((id) => id.split('@-@')[0]).sort()).toEqual(['127.0.0.2', '127.0.0.4']);
    expect((await observer.get('/cluster/leader/election/instance')) ?? '').not.toMatch(/^127\.0\.0\.3@/);
    for (const item of ITEMS) {
      expect((await observer.get(`/cluster/sharding/${item}/running`)) ?? '').not.toMatch(/^127\.0\.0\.3@/);
    }
    expect(await observer.getChildren('/cluster/trigger')).toEqual([]);
    expect((await ops.get(JobStatisticsApi).getJobBriefInfo('cluster')).instanceCount).toBe(2);

    // remove = shutdown + the server's registration goes.
    await ops.get(JobOperateApi).remove('cluster', '127.0.0.4');
    await waitFor(async () => (await observer.getChildren('/cluster/instances')).length === 1, 5_000, 'one instance');
    expect(await observer.exists('/cluster/servers/127.0.0.4')).toBe(false);
    expect(await observer.exists('/cluster/servers/127.0.0.2')).toBe(true);
    const last = nowSecond() + 2;
    await untilSecond(last + 1);
    expect(firesBetween(last, last)[0]).toEqual({ items: ITEMS, ips: new Set(['127.0.0.2']) });
  });

  it('removeJobConfiguration removes the job from the namespace, and every instance stops it', async () => {
    await startCluster();
    await ops.get(JobConfigurationApi).removeJobConfiguration('cluster');
    expect(await observer.exists('/cluster')).toBe(false);
    expect(await ops.get(JobStatisticsApi).getJobsTotalCount()).toBe(0);
    const runs = cluster.runs().length;
    const settled = Date.now();
    await waitFor(() => Date.now() - settled > 2_000 || cluster.runs().length > runs, 3_000, 'no further run');
    expect(cluster.runs().length).toBe(runs);
    expect(await observer.exists('/cluster')).toBe(false);
    for (const app of cluster.instances.values()) {
      expect(app.child.exitCode).toBeNull();
    }
  });
});
