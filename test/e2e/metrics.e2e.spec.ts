import { Injectable, INestApplicationContext, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { ElasticJob, ElasticJobModule, JobOperateApi, ModuleOptionsError, ShardingContext } from '../../lib';
import {
  ELASTICJOB_METRICS,
  ElasticJobMetrics,
  ElasticJobMetricsModule,
  MetricsSources,
  OTHER_JOBS_LABEL,
} from '../../lib/metrics';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The Prometheus metrics of a real application against a real ZooKeeper: counted exactly, from runs triggered one
// at a time (no cron), so that each count is known.

let zk: ZookeeperTestServer;
let namespaceSeq = 0;
let namespace = '';
const calls: Array<{ job: string; item: number; attempt: number }> = [];
const apps: INestApplicationContext[] = [];

/** Items 0 and 1 succeed, item 2 fails on every attempt and is retried once: 4 attempts per execution. */
@Injectable()
class MeteredJobs {
  @ElasticJob({
    name: 'metered',
    shardingTotalCount: 3,
    jobErrorHandlerType: 'IGNORE',
    props: { 'retry.max.attempts': '1', 'retry.backoff.milliseconds': '10' },
  })
  run(context: ShardingContext) {
    calls.push({ job: context.jobName, item: context.shardingItem, attempt: context.attempt });
    if (context.shardingItem === 2) {
      throw new Error('item 2 fails');
    }
  }
}

@Injectable()
class TwoJobs {
  @ElasticJob({ name: 'alpha', shardingTotalCount: 1 })
  alpha(context: ShardingContext) {
    calls.push({ job: context.jobName, item: context.shardingItem, attempt: context.attempt });
  }

  @ElasticJob({ name: 'beta', shardingTotalCount: 2 })
  beta(context: ShardingContext) {
    calls.push({ job: context.jobName, item: context.shardingItem, attempt: context.attempt });
  }
}

const registryOptions = () => ({ serverLists: zk.connectString, namespace });

async function start(module: unknown): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module as never, { logger: ['error'] });
  apps.push(app);
  return app;
}

async function close(app: INestApplicationContext): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
}

/** The sum of the samples of `name` (with a histogram's `_count`/`_sum` suffix) whose labels include `labels`. */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  let total = 0;
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values as Array<{ value: number; labels: object; metricName?: string }>) {
      const matches = Object.entries(labels).every(([key, label]) => (value.labels as any)[key] === label);
      if ((value.metricName ?? metric.name) === name && matches) {
        total += value.value;
      }
    }
  }
  return total;
}

/** The `job` label values of `name`'s samples, with their values. */
async function byJob(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: { job?: string } }>;
  return Object.fromEntries(values.map((value) => [String(value.labels.job), value.value]));
}

/** Triggers `job` and waits until `attempts` more item runs have ended in `registry` and none runs any more. */
async function triggerAndSettle(app: INestApplicationContext, registry: Registry, job: string, attempts: number) {
  const { itemRuns, itemsRunning } = ELASTICJOB_METRICS;
  const before = await sample(registry, itemRuns.name);
  await app.get(JobOperateApi).trigger(job);
  await waitFor(
    async () =>
      (await sample(registry, itemRuns.name)) === before + attempts &&
      (await sample(registry, itemsRunning.name)) === 0,
    10_000,
    `${attempts} ended runs of ${job}`,
  );
}

beforeAll(async () => {
  zk = await ZookeeperTestServer.start();
});
beforeEach(() => {
  namespace = `metrics-${++namespaceSeq}`;
  calls.length = 0;
});
afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await zk.destroy();
});

describe('Prometheus metrics', () => {
  it('counts item runs, failures, retries and executions exactly with the module option metrics, and reads the instance state at scrape time', async () => {
    const registry = new Registry();
    @Module({
      imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions(), metrics: { registry } })],
      providers: [MeteredJobs],
    })
    class AppModule {}
    const app = await start(AppModule);

    const EXECUTIONS = 3;
    for (let i = 0; i < EXECUTIONS; i++) {
      await triggerAndSettle(app, registry, 'metered', 4);
    }

    // The handler's own record: per execution items 0 and 1 once, item 2 twice (its retry).
    expect(calls).toHaveLength(4 * EXECUTIONS);
    expect(calls.filter((call) => call.item === 2 && call.attempt === 2)).toHaveLength(EXECUTIONS);

    const m = ELASTICJOB_METRICS;
    const job = { job: 'metered' };
    const normal = { ...job, source: 'NORMAL_TRIGGER' };
    expect(await sample(registry, m.itemRuns.name, { ...normal, result: 'success' })).toBe(2 * EXECUTIONS);
    expect(await sample(registry, m.itemRuns.name, { ...normal, result: 'failure' })).toBe(2 * EXECUTIONS);
    expect(await sample(registry, m.itemRuns.name, { source: 'MISFIRE' })).toBe(0);
    expect(await sample(registry, m.retries.name, job)).toBe(EXECUTIONS);
    expect(await sample(registry, m.executions.name, job)).toBe(EXECUTIONS);
    // Every ended attempt has a duration; only first attempts of NORMAL_TRIGGER runs have a lateness.
    expect(await sample(registry, `${m.itemRunDuration.name}_count`, job)).toBe(4 * EXECUTIONS);
    expect(await sample(registry, `${m.triggerLateness.name}_count`, job)).toBe(3 * EXECUTIONS);
    expect(await sample(registry, `${m.triggerLateness.name}_sum`, job)).toBeLessThan(3 * EXECUTIONS * 5);
    expect(await sample(registry, m.misfireRuns.name)).toBe(0);
    expect(await sample(registry, m.failoverRuns.name)).toBe(0);
    // One instance: the leader shards once, at the first execution.
    expect(await sample(registry, m.reshards.name, job)).toBe(1);

    expect(await sample(registry, m.itemsOwned.name, job)).toBe(3);
    expect(await sample(registry, m.itemsRunning.name, job)).toBe(0);
    expect(await sample(registry, m.jobs.name, { state: 'RUNNING' })).toBe(1);
    expect(await sample(registry, m.jobs.name, { state: 'STARTING' })).toBe(0);
    expect(await sample(registry, m.jobsLed.name)).toBe(1);
    expect(await sample(registry, m.leaseHeld.name)).toBe(1);
    expect(await sample(registry, m.connected.name)).toBe(1);
    expect(await sample(registry, m.sessionRenewals.name)).toBe(0);
    expect(await sample(registry, m.leaseLosses.name)).toBe(0);
    expect(await sample(registry, m.tracingQueueDepth.name)).toBe(0);
    expect(await sample(registry, m.tracingDropped.name)).toBe(0);

    const text = await registry.metrics();
    for (const definition of Object.values(m)) {
      expect(text).toContain(`# TYPE ${definition.name} ${definition.type}`);
    }
    // Labels are job names and fixed values only, never items.
    expect(text).not.toMatch(/item="/);

    await close(app);
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });

  it('counts through ElasticJobMetricsModule.forRoot, once when the module option metrics is set as well', async () => {
    const registry = new Registry();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    @Module({
      imports: [
        ElasticJobModule.forRoot({ registryCenter: registryOptions(), metrics: { registry } }),
        ElasticJobMetricsModule.forRoot({ registry }),
      ],
      providers: [MeteredJobs],
    })
    class AppModule {}
    const app = await start(AppModule);

    await triggerAndSettle(app, registry, 'metered', 4);
    await triggerAndSettle(app, registry, 'metered', 4);

    expect(warn).toHaveBeenCalledWith(expect.stringContaining('already collected'));
    const m = ELASTICJOB_METRICS;
    expect(await sample(registry, m.itemRuns.name, { job: 'metered', result: 'success' })).toBe(4);
    expect(await sample(registry, m.itemRuns.name, { job: 'metered', result: 'failure' })).toBe(4);
    expect(await sample(registry, m.retries.name, { job: 'metered' })).toBe(2);
    expect(await sample(registry, `${m.triggerLateness.name}_count`, { job: 'metered' })).toBe(6);
    expect(await sample(registry, m.itemsOwned.name, { job: 'metered' })).toBe(3);
    expect(await sample(registry, m.leaseHeld.name)).toBe(1);
  });

  it('registers the metrics of two applications sharing one registry once, adds their counts, and removes them with the last', async () => {
    const registry = new Registry();
    const applicationIn = (jobs: unknown, space: string) => {
      @Module({
        imports: [
          ElasticJobModule.forRoot({ registryCenter: { ...registryOptions(), namespace: space } }),
          ElasticJobMetricsModule.forRoot({ registry }),
        ],
        providers: [jobs as never],
      })
      class AppModule {}
      return start(AppModule);
    };
    const first = await applicationIn(MeteredJobs, `${namespace}-a`);
    const second = await applicationIn(TwoJobs, `${namespace}-b`);

    await triggerAndSettle(first, registry, 'metered', 4);
    await triggerAndSettle(second, registry, 'beta', 2);

    const m = ELASTICJOB_METRICS;
    expect(await byJob(registry, m.itemsOwned.name)).toEqual({ metered: 3, alpha: 1, beta: 2 });
    expect(await sample(registry, m.itemRuns.name, { result: 'success' })).toBe(4);
    expect(await sample(registry, m.jobs.name, { state: 'RUNNING' })).toBe(3);
    expect(await sample(registry, m.connected.name)).toBe(1);

    await close(first);
    expect(await byJob(registry, m.itemsOwned.name)).toEqual({ alpha: 1, beta: 2 });
    // Counted before the first application left: the counters stay.
    expect(await sample(registry, m.itemRuns.name, { job: 'metered' })).toBe(4);

    await close(second);
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });

  it('counts with ElasticJobMetricsModule when ElasticJobModule is imported twice', async () => {
    const registry = new Registry();
    // Options that differ, or Nest would take the two imports for one module.
    @Module({ imports: [ElasticJobModule.forRoot({ registryCenter: registryOptions() })], providers: [MeteredJobs] })
    class FeatureModule {}
    @Module({
      imports: [
        ElasticJobModule.forRoot({ registryCenter: { ...registryOptions(), sessionTimeoutMilliseconds: 30_000 } }),
        FeatureModule,
        ElasticJobMetricsModule.forRoot({ registry }),
      ],
    })
    class AppModule {}
    const app = await start(AppModule);
    await triggerAndSettle(app, registry, 'metered', 4);
    expect(calls).toHaveLength(4);
    expect(await sample(registry, ELASTICJOB_METRICS.itemRuns.name, { job: 'metered' })).toBe(4);
    expect(await sample(registry, ELASTICJOB_METRICS.itemsOwned.name, { job: 'metered' })).toBe(3);
  });

  it(`labels at most jobLabelLimit job names, the others as job="${OTHER_JOBS_LABEL}"`, async () => {
    const registry = new Registry();
    @Module({
      imports: [
        ElasticJobModule.forRoot({ registryCenter: registryOptions(), metrics: { registry, jobLabelLimit: 1 } }),
      ],
      providers: [TwoJobs],
    })
    class AppModule {}
    const app = await start(AppModule);

    await triggerAndSettle(app, registry, 'alpha', 1);
    // Whichever job was seen first keeps its name (a reshard event or a scrape may come first).
    const owned = await byJob(registry, ELASTICJOB_METRICS.itemsOwned.name);
    const labelled = Object.keys(owned).find((label) => label !== OTHER_JOBS_LABEL)!;
    expect(['alpha', 'beta']).toContain(labelled);
    const items = { alpha: 1, beta: 2 } as Record<string, number>;
    const other = labelled === 'alpha' ? 'beta' : 'alpha';
    expect(owned).toEqual({ [labelled]: items[labelled], [OTHER_JOBS_LABEL]: items[other] });

    await triggerAndSettle(app, registry, 'beta', 2);
    expect(await byJob(registry, ELASTICJOB_METRICS.itemRuns.name)).toEqual({
      [labelled]: items[labelled],
      [OTHER_JOBS_LABEL]: items[other],
    });
    expect(await byJob(registry, ELASTICJOB_METRICS.itemsRunning.name)).toEqual({
      [labelled]: 0,
      [OTHER_JOBS_LABEL]: 0,
    });
  });

  it('rejects an invalid jobLabelLimit or registry, naming the option', () => {
    const sources = {} as MetricsSources;
    expect(() => new ElasticJobMetrics(sources, { jobLabelLimit: -1 })).toThrow(ModuleOptionsError);
    expect(() => new ElasticJobMetrics(sources, { jobLabelLimit: 1.5 })).toThrow(/metrics\.jobLabelLimit/);
    expect(() => new ElasticJobMetrics(sources, { registry: {} as never })).toThrow(/metrics\.registry/);
  });
});
