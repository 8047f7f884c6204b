import 'reflect-metadata';
import { Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ElasticJobModule, JobRegistry, ShardingContext } from '../lib';
import { ZookeeperTestServer } from '../test/support/zookeeper-server';

/**
 * Trigger-path benchmark on one instance: N jobs on a 1-second cron; lateness = handler start - scheduled fire time.
 * Also: start-up time, heap per job, event-loop delay, and ZooKeeper writes per fire (from the server's zxid).
 *
 *   npm run bench:lateness               # 1, 1,000 and 10,000 jobs
 *   npm run bench:lateness -- --quick    # 1 and 1,000 jobs
 */
interface Scenario {
  jobs: number;
  items: number;
  monitorExecution: boolean;
  fires: number;
}

interface Result extends Scenario {
  startupMs: number;
  p50: number;
  p99: number;
  max: number;
  heapPerJobKb: number;
  loopDelayP99: number;
  writesPerFire: number;
  samples: number;
}

const quick = process.argv.includes('--quick');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
let namespaceSeq = 0;

async function run(zk: ZookeeperTestServer, scenario: Scenario): Promise<Result> {
  const lateness: number[] = [];
  let recording = false;
  const handler = (context: ShardingContext) => {
    const now = Date.now();
    if (recording) {
      lateness.push(now - Math.floor(now / 1000) * 1000);
    }
    void context;
  };
  @Injectable()
  class BenchJobs implements OnModuleInit {
    constructor(private readonly registry: JobRegistry) {}
    async onModuleInit() {
      for (let i = 0; i < scenario.jobs; i++) {
        await this.registry.addJob(
          {
            name: `bench-${i}`,
            cron: '* * * * * ?',
            shardingTotalCount: scenario.items,
            monitorExecution: scenario.monitorExecution,
            overwrite: true,
          },
          handler,
        );
      }
    }
  }
  @Module({
    imports: [
      ElasticJobModule.forRoot({
        registryCenter: { serverLists: zk.connectString, namespace: `bench-${++namespaceSeq}` },
      }),
    ],
    providers: [BenchJobs],
  })
  class BenchModule {}

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  const startupMs = Date.now() - started;
  // Let the start-up settle for a second, then measure whole fires.
  await waitNextSecond(1);
  gc();
  const heapPerJobKb = (process.memoryUsage().heapUsed - heapBefore) / scenario.jobs / 1024;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const zxidBefore = await zk.zxid();
  recording = true;
  loop.enable();
  await waitNextSecond(scenario.fires);
  // The last fire's items may still be completing: give them a moment so that their writes are counted.
  await new Promise((resolve) => setTimeout(resolve, 300));
  recording = false;
  loop.disable();
  const writesPerFire = ((await zk.zxid()) - zxidBefore) / scenario.fires;
  await app.close();
  lateness.sort((a, b) => a - b);
  const pct = (p: number) => lateness[Math.min(lateness.length - 1, Math.floor((p / 100) * lateness.length))] ?? NaN;
  return {
    ...scenario,
    startupMs,
    p50: pct(50),
    p99: pct(99),
    max: lateness[lateness.length - 1],
    heapPerJobKb,
    loopDelayP99: loop.percentile(99) / 1e6,
    writesPerFire,
    samples: lateness.length,
  };
}

/** Resolves just after the start of the `count`-th next second (so `count` 1-second fires have happened). */
function waitNextSecond(count: number): Promise<void> {
  const now = Date.now();
  const target = (Math.floor(now / 1000) + count) * 1000 + 600;
  return new Promise((resolve) => setTimeout(resolve, target - now));
}

async function main() {
  Logger.overrideLogger(['error']);
  const zk = await ZookeeperTestServer.start();
  const scenarios: Scenario[] = [
    { jobs: 1, items: 3, monitorExecution: true, fires: 30 },
    { jobs: 1, items: 3, monitorExecution: false, fires: 30 },
    { jobs: 1_000, items: 1, monitorExecution: false, fires: 10 },
    ...(quick ? [] : [{ jobs: 10_000, items: 1, monitorExecution: false, fires: 10 }]),
  ];
  const only = process.argv.indexOf('--jobs');
  if (only > 0) {
    scenarios.splice(0, scenarios.length, {
      jobs: Number(process.argv[only + 1]),
      items: 1,
      monitorExecution: false,
      fires: 10,
    });
  }
  const results: Result[] = [];
  try {
    for (const scenario of scenarios) {
      results.push(await run(zk, scenario));
    }
  } finally {
    await zk.destroy();
  }
  const rows = results.map((r) => ({
    jobs: r.jobs,
    'items/job': r.items,
    monitorExecution: r.monitorExecution,
    fires: r.fires,
    samples: r.samples,
    'lateness p50 ms': r.p50,
    'lateness p99 ms': r.p99,
    'lateness max ms': r.max,
    'start-up ms': r.startupMs,
    'heap KB/job': Number(r.heapPerJobKb.toFixed(2)),
    'loop delay p99 ms': Number(r.loopDelayP99.toFixed(1)),
    'ZK writes/fire': Number(r.writesPerFire.toFixed(2)),
  }));
  console.table(rows);
  console.log(
    `node ${process.version}, ${require('node:os').cpus().length} cores, ${require('node:os').cpus()[0]?.model}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
