import { Injectable, INestApplicationContext, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { parse } from 'yaml';
import {
  DataflowJob,
  ELASTIC_JOB_REGISTRY_CENTER_FACTORY,
  ElasticDataflowJob,
  ElasticJob,
  ElasticJobModule,
  JobErrorHandler,
  JobRegistry,
  JobShardingStrategy,
  RegistryCenterFactory,
  ShardingContext,
  ZookeeperRegistryCenter,
} from '../../lib';
import { ExecutionLog } from '../support/execution-log';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

const log = new ExecutionLog();
let zk: ZookeeperTestServer;
let namespaceSeq = 0;
let namespace = '';

@Injectable()
class SettlementJobs {
  @ElasticJob({
    name: 'settle',
    cron: '* * * * * ?',
    shardingTotalCount: 3,
    shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
    jobParameter: 'p',
  })
  settle(context: ShardingContext) {
    log.start(context).endedAt = Date.now();
  }
}

@Injectable()
class FailingJobs {
  @ElasticJob({ name: 'failing', cron: '* * * * * ?', shardingTotalCount: 2, jobErrorHandlerType: 'COLLECT' })
  async fail(context: ShardingContext) {
    log.start(context);
    throw new Error(`boom ${context.shardingItem}`);
  }
}

const collected: string[] = [];
const collectingHandler: JobErrorHandler = {
  type: 'COLLECT',
  handleException: (jobName, error, item) => {
    collected.push(`${jobName}:${item}:${(error as Error).message}`);
  },
};

const registryOptions = () => ({ serverLists: zk.connectString, namespace });
const apps: INestApplicationContext[] = [];
async function start(module: unknown): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module as never, { logger: ['error'] });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  zk = await ZookeeperTestServer.start();
});
beforeEach(() => {
  namespace = `simple-${++namespaceSeq}`;
  log.runs.length = 0;
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await zk.destroy();
});

async function inspector(): Promise<ZookeeperRegistryCenter> {
  const rc = new ZookeeperRegistryCenter(registryOptions());
  await rc.connect();
  return rc;
}

describe('@ElasticJob on one instance', () => {
  it('runs every sharding item exactly once per fire over at least 5 fires and registers the job in ElasticJob layout', async () => {
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [SettlementJobs] })
    class AppModule {}
    await start(AppModule);

    await waitFor(() => log.fires('settle') >= 7, 15_000, '7 fires');
    const seconds = [...log.bySecond('settle').entries()].sort(([a], [b]) => a - b);
    // The first and last observed seconds may be partial (start-up, and the fire running while we read).
    for (const [, items] of seconds.slice(1, -1)) {
      expect(items.sort()).toEqual([0, 1, 2]);
    }
    expect(seconds.length - 2).toBeGreaterThanOrEqual(5);
    const run = log.of('settle').find((r) => r.item === 1)!;
    expect(run).toMatchObject({ parameter: 'Shanghai', jobParameter: 'p' });
    expect(run.taskId).toMatch(/^settle@-@0,1,2@-@READY@-@[\d.]+@-@\d+$/);

    const rc = await inspector();
    try {
      const config = parse((await rc.get('/settle/config'))!);
      expect(config).toMatchObject({
        jobName: 'settle',
        cron: '* * * * * ?',
        shardingTotalCount: 3,
        shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
        monitorExecution: true,
        failover: false,
        misfire: true,
        maxTimeDiffSeconds: -1,
        reconcileIntervalMinutes: 10,
        jobShardingStrategyType: 'AVG_ALLOCATION',
        jobErrorHandlerType: 'LOG',
        disabled: false,
        overwrite: false,
      });
      const [instance] = await rc.getChildren('/settle/instances');
      expect(instance).toMatch(new RegExp(`^[\\d.]+@-@${process.pid}$`));
      const ip = instance.split('@-@')[0];
      expect(parse((await rc.get(`/settle/instances/${instance}`))!)).toEqual({
        jobInstanceId: instance,
        serverIp: ip,
      });
      expect(await rc.get(`/settle/servers/${ip}`)).toBe('ENABLED');

      await Promise.all(apps.splice(0).map((app) => app.close()));
      expect(await rc.getChildren('/settle/instances')).toEqual([]);
    } finally {
      await rc.close();
    }
  });

  it('builds its registry center through ELASTIC_JOB_REGISTRY_CENTER_FACTORY, which a testing module overrides', async () => {
    const asked: string[] = [];
    const elsewhere = `${namespace}-elsewhere`;
    const factory: RegistryCenterFactory = (options) => {
      asked.push(options.namespace);
      return new ZookeeperRegistryCenter({ ...options, namespace: elsewhere });
    };
    const moduleRef = await Test.createTestingModule({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })],
      providers: [SettlementJobs],
    })
      .overrideProvider(ELASTIC_JOB_REGISTRY_CENTER_FACTORY)
      .useValue(factory)
      .compile();
    moduleRef.useLogger(['error']);
    apps.push(await moduleRef.init());

    await waitFor(() => log.fires('settle') >= 2, 10_000, '2 fires');
    expect(asked).toEqual([namespace]);
    const chosen = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: elsewhere });
    await chosen.connect();
    const configured = await inspector();
    try {
      expect(await chosen.exists('/settle/config')).toBe(true);
      expect(await configured.exists('/settle/config')).toBe(false);
    } finally {
      await Promise.all([chosen.close(), configured.close()]);
    }
  });

  it('keeps firing when the handler throws, and hands every failure to the error handler', async () => {
    @Module({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions(), errorHandlers: [collectingHandler] })],
      providers: [FailingJobs],
    })
    class AppModule {}
    collected.length = 0;
    await start(AppModule);
    await waitFor(() => log.fires('failing') >= 3, 10_000, '3 failing fires');
    expect(collected).toEqual(expect.arrayContaining(['failing:0:boom 0', 'failing:1:boom 1']));
    expect(collected.length).toBeGreaterThanOrEqual(5);
  });

  it.each(['LOG', 'THROW', 'IGNORE'])('survives a failing handler with the built-in %s error handler', async (type) => {
    @Injectable()
    class Jobs {
      @ElasticJob({ name: 'built-in-handler', cron: '* * * * * ?', shardingTotalCount: 1, jobErrorHandlerType: type })
      run(context: ShardingContext) {
        log.start(context);
        return Promise.reject(new Error('rejected'));
      }
    }
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [Jobs] })
    class AppModule {}
    await start(AppModule);
    await waitFor(() => log.fires('built-in-handler') >= 3, 10_000, '3 fires');
  });

  it('runs each item once per fire when forRoot is imported twice', async () => {
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [SettlementJobs] })
    class FeatureModule {}
    @Module({
      imports: [
        ElasticJobModule.forRoot({ registryCenter: { ...registryOptions(), sessionTimeoutMilliseconds: 30_000 } }),
        FeatureModule,
      ],
    })
    class AppModule {}
    const app = await start(AppModule);
    await waitFor(() => log.fires('settle') >= 5, 15_000, '5 fires');
    const seconds = [...log.bySecond('settle').values()];
    for (const items of seconds.slice(1, -1)) {
      expect(items.sort()).toEqual([0, 1, 2]);
    }
    expect(app.get(JobRegistry).getJobNames()).toEqual(['settle']);
  });

  it('takes its options from forRootAsync with ConfigService and applies per-job overrides', async () => {
    @Module({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ zk: zk.connectString, ns: namespace })] }),
        ElasticJobModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            registryCenter: { serverLists: config.getOrThrow('zk'), namespace: config.getOrThrow('ns') },
            jobs: { settle: { shardingTotalCount: 2, shardingItemParameters: '0=A,1=B' } },
          }),
        }),
      ],
      providers: [SettlementJobs],
    })
    class AppModule {}
    const app = await start(AppModule);
    await waitFor(() => log.fires('settle') >= 3, 10_000, '3 fires');
    expect(new Set(log.of('settle').map((r) => r.item))).toEqual(new Set([0, 1]));
    expect(new Set(log.of('settle').map((r) => r.parameter))).toEqual(new Set(['A', 'B']));
    expect(app.get(JobRegistry).getJob('settle').configuration.shardingTotalCount).toBe(2);
  });

  it('lets the configuration already in ZooKeeper win unless overwrite is set', async () => {
    const rc = await inspector();
    try {
      await rc.persist('/settle/config', 'jobName: settle\ncron: "* * * * * ?"\nshardingTotalCount: 1\n');
      @Module({
        imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })],
        providers: [SettlementJobs],
      })
      class AppModule {}
      await start(AppModule);
      await waitFor(() => log.fires('settle') >= 3, 10_000, '3 fires');
      expect(new Set(log.of('settle').map((r) => r.item))).toEqual(new Set([0]));
      expect(parse((await rc.get('/settle/config'))!).shardingTotalCount).toBe(1);
      await Promise.all(apps.splice(0).map((app) => app.close()));

      @Module({
        imports: [
          ElasticJobModule.forRoot({ registryCenter: registryOptions(), jobs: { settle: { overwrite: true } } }),
        ],
        providers: [SettlementJobs],
      })
      class OverwritingModule {}
      await start(OverwritingModule);
      expect(parse((await rc.get('/settle/config'))!).shardingTotalCount).toBe(3);
    } finally {
      await rc.close();
    }
  });

  it('applies a cron change made in ZooKeeper while running', async () => {
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [SettlementJobs] })
    class AppModule {}
    await start(AppModule);
    await waitFor(() => log.fires('settle') >= 2, 10_000, '2 fires');
    const rc = await inspector();
    try {
      const yaml = (await rc.get('/settle/config'))!.replace(/^cron: .*$/m, 'cron: 0 0 0 1 1 ? 2199');
      expect(yaml).toContain('2199');
      await rc.update('/settle/config', yaml);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = log.of('settle').length;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(log.of('settle').length).toBe(before);
    } finally {
      await rc.close();
    }
  });

  it('registers a disabled job as a DISABLED server and never runs it', async () => {
    @Module({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions(), jobs: { settle: { disabled: true } } })],
      providers: [SettlementJobs],
    })
    class AppModule {}
    await start(AppModule);
    const rc = await inspector();
    try {
      const [ip] = await rc.getChildren('/settle/servers');
      expect(await rc.get(`/settle/servers/${ip}`)).toBe('DISABLED');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(log.of('settle')).toHaveLength(0);
    } finally {
      await rc.close();
    }
  });

  it('marks items running in ZooKeeper while they run, and a new fire skips an item still running', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    @Injectable()
    class SlowJobs {
      @ElasticJob({ name: 'slow', cron: '* * * * * ?', shardingTotalCount: 2 })
      async run(context: ShardingContext) {
        const run = log.start(context);
        if (context.shardingItem === 0) {
          await released;
        }
        run.endedAt = Date.now();
      }
    }
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [SlowJobs] })
    class AppModule {}
    await start(AppModule);
    const rc = await inspector();
    try {
      await waitFor(async () => await rc.exists('/slow/sharding/0/running'), 5000, 'running marker of item 0');
      // Item 0 is stuck: the next fires find it running and skip it.
      await waitFor(() => log.fires('slow') >= 3, 10_000, '3 fires');
      expect(log.of('slow').filter((r) => r.item === 0)).toHaveLength(1);
      expect(log.of('slow').filter((r) => r.item === 1).length).toBeGreaterThanOrEqual(2);
      release();
      await waitFor(async () => !(await rc.exists('/slow/sharding/0/running')), 5000, 'running marker cleared');
      await waitFor(() => log.of('slow').filter((r) => r.item === 0).length >= 2, 5000, 'item 0 to run again');
    } finally {
      release();
      await rc.close();
    }
  });

  it('bounds the items run in parallel by maxConcurrency', async () => {
    let active = 0;
    let peak = 0;
    @Injectable()
    class BoundedJobs {
      @ElasticJob({
        name: 'bounded',
        cron: '* * * * * ?',
        shardingTotalCount: 4,
        maxConcurrency: 2,
        monitorExecution: false,
      })
      async run(context: ShardingContext) {
        log.start(context);
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 50));
        active--;
      }
    }
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [BoundedJobs] })
    class AppModule {}
    await start(AppModule);
    await waitFor(() => log.fires('bounded') >= 2, 10_000, '2 fires');
    expect(peak).toBe(2);
  });

  it('lists, adds and removes jobs at runtime through JobRegistry', async () => {
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [SettlementJobs] })
    class AppModule {}
    const app = await start(AppModule);
    const registry = app.get(JobRegistry);
    await registry.addJob(
      { name: 'added', cron: '* * * * * ?', shardingTotalCount: 2 },
      (context) => void log.start(context),
    );
    expect(registry.getJobNames().sort()).toEqual(['added', 'settle']);
    await waitFor(() => log.fires('added') >= 2, 10_000, 'runtime job fires');
    await expect(
      registry.addJob({ name: 'added', cron: '* * * * * ?', shardingTotalCount: 1 }, () => undefined),
    ).rejects.toThrow('Job "added": duplicate "name"');
    await expect(
      registry.addJob({ name: 'bad', cron: '* * * * * ?', shardingTotalCount: 0 }, () => undefined),
    ).rejects.toThrow('Job "bad": invalid "shardingTotalCount" 0');
    expect(registry.doesExist('bad')).toBe(false);
    const rc = await inspector();
    expect(await rc.getChildren('/added/instances')).toHaveLength(1);
    expect(await rc.getChildren('/added/servers')).toHaveLength(1);
    expect(await registry.removeJob('added')).toBe(true);
    // This instance's nodes of the job are gone; its configuration stays.
    expect(await rc.getChildren('/added/instances')).toEqual([]);
    expect(await rc.getChildren('/added/servers')).toEqual([]);
    expect(await rc.getChildren('/added/trigger')).toEqual([]);
    expect(await rc.exists('/added/sharding/0/running')).toBe(false);
    expect(await rc.exists('/added/sharding/1/running')).toBe(false);
    expect(await rc.exists('/added/leader/election/instance')).toBe(false);
    expect(await rc.exists('/added/config')).toBe(true);
    await rc.close();
    const count = log.of('added').length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(log.of('added')).toHaveLength(count);
    expect(registry.doesExist('added')).toBe(false);
    expect(() => registry.getJob('added')).toThrow('Job "added": no such job');
  });
});

describe('custom sharding strategy', () => {
  it('is provided by a Nest provider through forRootAsync and selected by jobShardingStrategyType', async () => {
    @Injectable()
    class EvenItemsOnly implements JobShardingStrategy {
      readonly type = 'EVEN_ITEMS_ONLY';
      sharding(instances: readonly string[], _jobName: string, total: number) {
        const even = Array.from({ length: total }, (_, item) => item).filter((item) => item % 2 === 0);
        return new Map(instances.map((instance, index) => [instance, index === 0 ? even : []]));
      }
    }
    @Injectable()
    class Jobs {
      @ElasticJob({
        name: 'custom-strategy',
        cron: '* * * * * ?',
        shardingTotalCount: 4,
        jobShardingStrategyType: 'EVEN_ITEMS_ONLY',
      })
      run(context: ShardingContext) {
        log.start(context);
      }
    }
    @Module({ providers: [EvenItemsOnly], exports: [EvenItemsOnly] })
    class StrategyModule {}
    @Module({
      imports: [
        ElasticJobModule.forRootAsync({
          imports: [StrategyModule],
          inject: [EvenItemsOnly],
          useFactory: (strategy: EvenItemsOnly) => ({
            registryCenter: registryOptions(),
            shardingStrategies: [strategy],
          }),
        }),
      ],
      providers: [Jobs],
    })
    class AppModule {}
    await start(AppModule);
    await waitFor(() => log.fires('custom-strategy') >= 3, 10_000, '3 fires');
    expect(new Set(log.of('custom-strategy').map((run) => run.item))).toEqual(new Set([0, 2]));
  });
});

describe('@ElasticDataflowJob', () => {
  it('fetches and processes per item; streaming repeats until a fetch returns no data', async () => {
    const processed: string[] = [];
    const fetches = new Map<string, number>();
    @Injectable()
    @ElasticDataflowJob({ name: 'streaming', cron: '* * * * * ?', shardingTotalCount: 2, streamingProcess: true })
    class StreamingJob implements DataflowJob<string> {
      async fetchData(context: ShardingContext) {
        const key = `${context.jobName}:${context.shardingItem}`;
        const count = (fetches.get(key) ?? 0) + 1;
        fetches.set(key, count);
        return count <= 3 ? [`${context.shardingItem}-${count}`] : [];
      }
      async processData(_context: ShardingContext, data: string[]) {
        processed.push(...data);
      }
    }
    @Injectable()
    @ElasticDataflowJob({ name: 'one-shot', cron: '* * * * * ?', shardingTotalCount: 1 })
    class OneShotJob implements DataflowJob<number> {
      async fetchData(context: ShardingContext) {
        log.start(context);
        return [1, 2];
      }
      async processData(_context: ShardingContext, data: number[]) {
        processed.push(`one-shot:${data.length}`);
      }
    }
    @Module({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })],
      providers: [StreamingJob, OneShotJob],
    })
    class AppModule {}
    const app = await start(AppModule);
    await waitFor(() => log.fires('one-shot') >= 2, 10_000, '2 fires of the one-shot job');
    // Streaming: three batches per item, then the empty fetch ends the loop (later fires fetch once, get nothing).
    expect(processed.filter((p) => !p.startsWith('one-shot')).sort()).toEqual([
      '0-1',
      '0-2',
      '0-3',
      '1-1',
      '1-2',
      '1-3',
    ]);
    // Not streaming: one fetch and one process per item per fire.
    expect(processed.filter((p) => p === 'one-shot:2').length).toBe(log.of('one-shot').length);
    const rc = await inspector();
    try {
      expect(parse((await rc.get('/streaming/config'))!).props).toEqual({ 'streaming.process': 'true' });
    } finally {
      await rc.close();
    }
    expect(app.get(JobRegistry).getJobNames().sort()).toEqual(['one-shot', 'streaming']);
  });
});

describe('shutdown', () => {
  it('lets running items finish within the grace period, then aborts ctx.signal', async () => {
    const seen: string[] = [];
    @Injectable()
    class LongJobs {
      @ElasticJob({ name: 'long', cron: '* * * * * ?', shardingTotalCount: 2 })
      async run(context: ShardingContext) {
        log.start(context);
        if (context.shardingItem === 0) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          seen.push('item 0 finished');
          return;
        }
        await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
        seen.push(`item 1 aborted: ${(context.signal.reason as Error).message}`);
      }
    }
    @Module({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions(), shutdownGracePeriodMilliseconds: 500 })],
      providers: [LongJobs],
    })
    class AppModule {}
    const app = await start(AppModule);
    await waitFor(() => log.of('long').length >= 2, 5000, 'both items started');
    const closing = Date.now();
    await Promise.all(apps.splice(0).map((a) => a.close()));
    expect(Date.now() - closing).toBeGreaterThanOrEqual(450);
    expect(seen).toEqual(['item 0 finished', 'item 1 aborted: instance shutting down']);
    expect(app).toBeDefined();
  });
});

describe('start-up errors name the job and the field', () => {
  const bootFails = async (providers: unknown[], extra: Record<string, unknown> = {}) => {
    @Module({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions(), ...extra })],
      providers: providers as never,
    })
    class AppModule {}
    return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  };

  it('rejects an invalid cron', async () => {
    @Injectable()
    class Jobs {
      @ElasticJob({ name: 'bad-cron', cron: '0/5 * * * ?x', shardingTotalCount: 1 })
      run() {}
    }
    await expect(bootFails([Jobs])).rejects.toThrow(/Job "bad-cron": invalid "cron" "0\/5 \* \* \* \?x"/);
  });

  it('rejects duplicate job names', async () => {
    @Injectable()
    class A {
      @ElasticJob({ name: 'twice', cron: '* * * * * ?', shardingTotalCount: 1 })
      run() {}
    }
    @Injectable()
    class B {
      @ElasticJob({ name: 'twice', cron: '* * * * * ?', shardingTotalCount: 1 })
      run() {}
    }
    await expect(bootFails([A, B])).rejects.toThrow('Job "twice": duplicate "name": declared by A.run and by B.run');
  });

  it('rejects an override for a job that has no handler', async () => {
    await expect(bootFails([], { jobs: { ghost: { cron: '* * * * * ?' } } })).rejects.toThrow(
      'Job "ghost": no handler',
    );
  });

  it('rejects an unreachable ZooKeeper', async () => {
    @Module({
      imports: [
        ElasticJobModule.forRoot({
          registryCenter: {
            serverLists: '127.0.0.1:1',
            namespace: 'x',
            connectionTimeoutMilliseconds: 200,
            maxRetries: 0,
          },
        }),
      ],
      providers: [SettlementJobs],
    })
    class AppModule {}
    await expect(
      NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow('ZooKeeper unreachable: could not connect to "127.0.0.1:1" (registryCenter.serverLists');
  });
});
