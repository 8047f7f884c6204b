import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ZookeeperRegistryCenter } from '../../lib';
import { Cluster } from '../support/cluster';
import { auditedRuns } from '../support/run-audit';
import { freePort, waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The package's bin as built (`npm run build`), run as a real process against a cluster of real instances.
const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin['nestjs-elasticjob']);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[]): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  );
}

describe('the nestjs-elasticjob CLI', () => {
  const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let cluster: Cluster;
  let namespace = '';
  let seq = 0;
  const run = (...args: string[]) => cli(['--zk', zk.connectString, '--namespace', namespace, ...args]);
  const ownerIps = async () => {
    const owners = await Promise.all(
      Array.from({ length: 9 }, (_, item) => observer.get(`/cluster/sharding/${item}/instance`)),
    );
    return new Set(owners.map((owner) => owner?.split('@-@')[0] ?? 'none'));
  };

  beforeAll(async () => {
    expect(existsSync(BIN)).toBe(true);
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `cli-${++seq}`;
    cluster = new Cluster({ ZK_SERVERS: zk.connectString, ZK_NAMESPACE: namespace, JOB_TOTAL: '9' });
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
    await observer.connect();
    await Promise.all(IPS.map((ip) => cluster.start(ip)));
    await waitFor(async () => (await ownerIps()).size === 3, 10_000, 'the first assignment');
  });
  afterEach(async () => {
    await cluster.stopAll();
    await observer.close();
  });
  afterAll(async () => {
    await zk.destroy();
  });

  it('lists jobs, servers and items as tables, and as JSON with --json', async () => {
    const json = await run('--json', 'jobs');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual([
      { jobName: 'cluster', status: 'OK', cron: '* * * * * ?', instanceCount: 3, shardingTotalCount: 9 },
    ]);
    const jobs = (await run('jobs')).stdout.trimEnd().split('\n');
    expect(jobs[0].split(/\s{2,}/)).toEqual(['JOB', 'STATUS', 'CRON', 'INSTANCES', 'ITEMS', 'DESCRIPTION']);
    expect(jobs[1].split(/\s{2,}/)).toEqual(['cluster', 'OK', '* * * * * ?', '3', '9', '-']);

    const servers = (await run('servers')).stdout.trimEnd().split('\n');
    expect(servers.slice(1).map((line) => line.split(/\s{2,}/))).toEqual(IPS.map((ip) => [ip, '1', '1', '0']));
    const onServer = JSON.parse((await run('jobs', '--server', '127.0.0.3', '--json')).stdout);
    expect(onServer).toEqual([expect.objectContaining({ jobName: 'cluster', status: 'OK', instanceCount: 1 })]);

    const sharding = JSON.parse((await run('sharding', 'cluster', '--json')).stdout);
    expect(sharding.map((info: { item: number }) => info.item)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const table = (await run('sharding', 'cluster')).stdout.trimEnd().split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual(['ITEM', 'STATUS', 'INSTANCE', 'SERVER', 'RUNNING ON', 'FAILOVER']);
    expect(table).toHaveLength(10);

    const job = await run('job', 'cluster');
    expect(job.code).toBe(0);
    expect(job.stdout).toContain('shardingTotalCount: 9');
  });

  it('disables a server and an item, changes the configuration, triggers and shuts down: each takes effect', async () => {
    const disabled = await run('disable', 'cluster', '--server', '127.0.0.3');
    expect(disabled).toMatchObject({ code: 0, stdout: 'Disabled job "cluster" on server 127.0.0.3.\n' });
    await waitFor(async () => !(await ownerIps()).has('127.0.0.3'), 5_000, 'items moved off the disabled server');
    expect(await observer.get('/cluster/servers/127.0.0.3')).toBe('DISABLED');
    expect((await run('enable', 'cluster', '--server', '127.0.0.3')).code).toBe(0);
    expect(await observer.get('/cluster/servers/127.0.0.3')).toBe('ENABLED');

    expect((await run('disable', 'cluster', '--item', '4')).code).toBe(0);
    expect(await observer.exists('/cluster/sharding/4/disabled')).toBe(true);
    expect((await run('enable', 'cluster', '--item', '4')).code).toBe(0);
    expect(await observer.exists('/cluster/sharding/4/disabled')).toBe(false);

    const set = await run('config', 'set', 'cluster', 'cron=0/2 * * * * ?', 'description=nightly', 'props.team=ops');
    expect(set).toMatchObject({ code: 0, stdout: 'Updated the configuration of job "cluster".\n' });
    const stored = parse((await observer.get('/cluster/config'))!);
    expect(stored).toMatchObject({ cron: '0/2 * * * * ?', description: 'nightly', props: { team: 'ops' } });
    expect(stored.shardingTotalCount).toBe(9);
    expect(parse((await run('config', 'get', 'cluster')).stdout)).toEqual(stored);
    // Every instance fires on the new cadence: even seconds only.
    const since = Date.now() + 1_500;
    await waitFor(() => cluster.runs().filter((r) => r.at >= since).length >= 18, 10_000, 'two fires on the new cron');
    expect(
      new Set(
        cluster
          .runs()
          .filter((r) => r.at >= since)
          .map((r) => r.second % 2),
      ),
    ).toEqual(new Set([0]));

    // A trigger, with the cron moved out of the way (once a year) so that every run after it is the trigger's.
    expect((await run('config', 'set', 'cluster', 'cron=0 0 0 1 1 ?')).code).toBe(0);
    const triggeredAt = Date.now();
    expect((await run('trigger', 'cluster')).code).toBe(0);
    // (Its fire time is ZooKeeper's time of the trigger: no cron fire of the old cadence is that late.)
    const triggered = () => auditedRuns(cluster.instances).filter((r) => r.fireTime >= triggeredAt);
    await waitFor(() => triggered().length >= 9, 5_000, 'the triggered fire');
    expect(
      triggered()
        .map((r) => r.item)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(triggered().map((r) => r.instance)).size).toBe(3);

    const shutdown = await run('shutdown', 'cluster', '--server', '127.0.0.4');
    expect(shutdown).toMatchObject({ code: 0, stdout: 'Shut down job "cluster" on server 127.0.0.4.\n' });
    await waitFor(async () => (await observer.getChildren('/cluster/instances')).length === 2, 5_000, 'instance gone');
    expect(cluster.instances.get('127.0.0.4')!.child.exitCode).toBeNull();
  });

  it('fails with one line and a non-zero exit for bad input and an unreachable ZooKeeper', async () => {
    const oneLineError = (result: CliResult, text: string) => {
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(text);
    };
    oneLineError(await run('job', 'nope'), 'Job "nope": no such job');
    oneLineError(await run('disable'), 'give a job name, a server ip, or both');
    oneLineError(await run('disable', 'cluster', '--item', '99'), 'must be an integer from 0 to 8');
    oneLineError(await run('disable', 'cluster', '--server', '10.1.1.1'), 'server "10.1.1.1" is not registered');
    oneLineError(await run('config', 'set', 'cluster', 'cron=61 * * * * ?'), '"cron"');
    oneLineError(await run('config', 'set', 'cluster', 'colour=blue'), 'unknown field "colour"');
    oneLineError(await run('frobnicate'), "unknown command 'frobnicate'");
    oneLineError(await cli(['--zk', zk.connectString, 'jobs']), '--namespace is required');
    expect(parse((await observer.get('/cluster/config'))!).cron).toBe('* * * * * ?');

    const closedPort = await freePort();
    const unreachable = await cli([
      '--zk',
      `127.0.0.1:${closedPort}`,
      '--namespace',
      namespace,
      '--timeout',
      '1000',
      'jobs',
    ]);
    oneLineError(unreachable, 'ZooKeeper unreachable');
    expect(unreachable.ms).toBeLessThan(5_000);
  });

  it('reads a namespace protected by a digest only with --digest', async () => {
    const owner = new ZookeeperRegistryCenter({
      serverLists: zk.connectString,
      namespace: 'cli-secure',
      digest: 'ops:secret',
    });
    await owner.connect();
    try {
      await owner.persist('/guarded/config', 'jobName: guarded\nshardingTotalCount: 2\ncron: 0 0 * * * ?\n');
      const secure = ['--zk', zk.connectString, '--namespace', 'cli-secure', '--json'];
      const allowed = await cli([...secure, '--digest', 'ops:secret', 'jobs']);
      expect(allowed.code).toBe(0);
      expect(JSON.parse(allowed.stdout)).toEqual([
        { jobName: 'guarded', status: 'CRASHED', cron: '0 0 * * * ?', instanceCount: 0, shardingTotalCount: 2 },
      ]);
      const refused = await cli([...secure, 'job', 'guarded']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: .*NO_AUTH|^error: .*not authori[sz]ed/i);
    } finally {
      await owner.remove('/guarded', { recursive: true });
      await owner.close();
    }
  });
});
