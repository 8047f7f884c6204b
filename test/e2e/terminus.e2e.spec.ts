import { Controller, Get, INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckResult, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { AddressInfo } from 'node:net';
import { ElasticJob, ElasticJobModule, ZookeeperRegistryCenter } from '../../lib';
import { ElasticJobHealthDetails, ElasticJobHealthIndicator, ElasticJobTerminusModule } from '../../lib/terminus';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The health indicator behind a real HTTP endpoint of a real Nest application, whose ZooKeeper connection goes through
// a proxy that the test cuts: the readiness probe a Kubernetes deployment would call.
const SESSION_TIMEOUT_MS = 4000;
const NAMESPACE = 'terminus';

@Injectable()
class Jobs {
  @ElasticJob({ name: 'probed', cron: '* * * * * ?', shardingTotalCount: 2 })
  run() {}
}

@Controller()
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly elasticJob: ElasticJobHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.elasticJob.isHealthy('elasticjob')]);
  }
}

/** The same indicator through `ElasticJobTerminusModule`, in a module of its own. */
@Controller()
class ReadinessController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly elasticJob: ElasticJobHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  check() {
    return this.health.check([() => this.elasticJob.isHealthy('scheduler')]);
  }
}

@Module({ imports: [ElasticJobTerminusModule], controllers: [ReadinessController] })
class ReadinessModule {}

interface Probe {
  code: number;
  body: HealthCheckResult;
  /** The indicator's details (from `details`, where terminus puts both up and down indicators). */
  elasticJob: ElasticJobHealthDetails & { status: string };
}

describe('ElasticJobHealthIndicator (@nestjs/terminus)', () => {
  let zk: ZookeeperTestServer;
  let proxy: TcpProxy;
  let observer: ZookeeperRegistryCenter;
  let app: INestApplication | undefined;
  let baseUrl = '';

  const probe = async (path = '/health', key = 'elasticjob'): Promise<Probe> => {
    const response = await fetch(`${baseUrl}${path}`);
    const body = (await response.json()) as HealthCheckResult;
    return { code: response.status, body, elasticJob: body.details[key] as Probe['elasticJob'] };
  };
  /** Probes until `accept` takes an answer; every answer on the way goes to `seen`. */
  const probeUntil = async (accept: (probe: Probe) => boolean, timeoutMs: number, what: string, seen: Probe[] = []) => {
    let last: Probe | undefined;
    await waitFor(
      async () => {
        last = await probe();
        seen.push(last);
        return accept(last);
      },
      timeoutMs,
      `${what} (last answer: ${JSON.stringify(last?.body)})`,
    );
    return last!;
  };
  const healthyWithItems = (p: Probe) =>
    p.code === 200 &&
    p.elasticJob.jobs.probed?.state === 'RUNNING' &&
    JSON.stringify(p.elasticJob.jobs.probed.itemsOwned) === '[0,1]' &&
    p.elasticJob.jobs.probed.lastFire !== null;

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
    proxy = await TcpProxy.start(zk.port);

    @Module({
      imports: [
        TerminusModule,
        ElasticJobModule.forRoot({
          registryCenter: {
            serverLists: proxy.connectString,
            namespace: NAMESPACE,
            sessionTimeoutMilliseconds: SESSION_TIMEOUT_MS,
            connectionTimeoutMilliseconds: 2000,
          },
        }),
        ReadinessModule,
      ],
      controllers: [HealthController],
      providers: [Jobs, ElasticJobHealthIndicator],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    // (Connected after the application, so that its logs are silenced with the application's.)
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: NAMESPACE });
    await observer.connect();
  });
  afterAll(async () => {
    await app?.close();
    await observer?.close();
    await proxy.close();
    await zk.destroy();
  });

  it('answers 200 with the instance and its jobs while the instance holds its lease', async () => {
    const healthy = await probeUntil(healthyWithItems, 10_000, 'a healthy answer with both items owned');
    expect(healthy.body.status).toBe('ok');
    expect(healthy.body.info).toHaveProperty('elasticjob');
    expect(healthy.body.error).toEqual({});
    const [instance] = await observer.getChildren(`/probed/instances`);
    // (The body comes from outside jest's sandbox, where `expect.any(Array)` does not recognise its arrays.)
    const { runningItems, ...probed } = healthy.elasticJob.jobs.probed;
    expect(runningItems.filter((item) => item !== 0 && item !== 1)).toEqual([]);
    expect({ ...healthy.elasticJob, jobs: { probed } }).toEqual({
      status: 'up',
      instanceId: instance,
      connected: true,
      leaseHeld: true,
      renewingSession: false,
      sessionRenewals: 0,
      jobs: {
        probed: {
          state: 'RUNNING',
          leader: true,
          itemsOwned: [0, 1],
          lastFire: {
            fireTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
            startTime: expect.any(String),
            executionSource: 'NORMAL_TRIGGER',
          },
          lastFailure: null,
        },
      },
    });

    const ready = await probe('/ready', 'scheduler');
    expect(ready.code).toBe(200);
    expect(ready.elasticJob).toMatchObject({ status: 'up', instanceId: instance, leaseHeld: true });
  });

  it('answers 503 once the lease is lost, and 200 again after the instance registers in a new session', async () => {
    await probeUntil(healthyWithItems, 10_000, 'a healthy answer before the cut');
    const [instance] = await observer.getChildren(`/probed/instances`);

    // A partition: the connection stays open but nothing gets through, so only the lease running out tells.
    const cutAt = Date.now();
    proxy.cut({ silent: true });
    const duringCut: Probe[] = [];
    const down = await probeUntil(
      (p) => p.code === 503 && p.elasticJob.leaseHeld === false,
      SESSION_TIMEOUT_MS + 2_000,
      '503 with the lease lost',
      duringCut,
    );
    process.stdout.write(`cut -> 503 with the lease lost: ${Date.now() - cutAt} ms (session ${SESSION_TIMEOUT_MS})\n`);
    expect(down.body.status).toBe('error');
    expect(down.body.info).toEqual({});
    expect(down.body.error?.elasticjob).toEqual(down.elasticJob);
    expect(down.elasticJob).toMatchObject({
      status: 'down',
      instanceId: instance,
      leaseHeld: false,
      message: expect.stringContaining('lease not held'),
      jobs: { probed: expect.objectContaining({ itemsOwned: [0, 1] }) },
    });
    // Never healthy without the lease, on the way down either.
    expect(duringCut.filter((p) => p.code === 200 && !p.elasticJob.leaseHeld)).toEqual([]);

    // ZooKeeper expires the session meanwhile (the instance's node goes), so the instance comes back in a new one.
    await waitFor(
      async () => (await observer.getChildren('/probed/instances')).length === 0,
      SESSION_TIMEOUT_MS + 10_000,
      'the session to expire',
    );
    proxy.restore();
    const afterRestore: Probe[] = [];
    const back = await probeUntil(healthyWithItems, 20_000, 'a healthy answer after the restore', afterRestore);
    expect(back.body.status).toBe('ok');
    expect(back.elasticJob).toMatchObject({
      status: 'up',
      instanceId: instance,
      connected: true,
      leaseHeld: true,
      renewingSession: false,
      sessionRenewals: 1,
    });
    // Every 200 on the way back was fully registered; every other answer was a 503 with the indicator down.
    for (const p of afterRestore) {
      if (p.code === 200) {
        expect(p.elasticJob).toMatchObject({ connected: true, leaseHeld: true, renewingSession: false });
        expect(Object.values(p.elasticJob.jobs).map((job) => job.state)).not.toContain('STARTING');
      } else {
        expect(p.code).toBe(503);
        expect(p.elasticJob.status).toBe('down');
      }
    }
    expect(await observer.getChildren('/probed/instances')).toEqual([instance]);
  });
});
