import 'reflect-metadata';
import { Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ElasticJobModule, JobRegistry, ShardingContext } from '../../lib';
import { ElasticJobRuntime } from '../../lib/elastic-job.runtime';
import { RunAudit } from '../support/audit';

/**
 * One application process of the lateness benchmark: JOBS jobs on a 1-second cron, run by this project
 * (SYSTEM=elasticjob, ITEMS items per job, MONITOR on/off) or by `@nestjs/schedule` (SYSTEM=schedule: every job on
 * every replica). Prints `ready` (start-up time, memory) once started; on the line `measure <from> <to>` (epoch
 * seconds) on stdin it records the runs of those fires and prints `done` (lateness samples, run counts for the audit,
 * event-loop delay, CPU time over those fires) after the last one. With TRACING_URL (a PostgreSQL connection string)
 * the module traces every run there, and `done` also carries the tracing queue's counters.
 */
const env = process.env;
const system = env.SYSTEM === 'schedule' ? 'schedule' : 'elasticjob';
const jobs = Number(env.JOBS ?? 1);
const items = Number(env.ITEMS ?? 1);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

let window: { from: number; to: number } | undefined;
const samples: number[] = [];
const audit = new RunAudit();

/** A run of fire `fireTime` (ms) started now. */
function record(job: number, item: number, fireTime: number): void {
  const second = Math.floor(fireTime / 1000);
  if (window && second >= window.from && second <= window.to) {
    samples.push(Date.now() - fireTime);
    audit.record(job, item, second);
  }
}

@Injectable()
class ElasticJobs implements OnModuleInit {
  constructor(private readonly registry: JobRegistry) {}

  async onModuleInit() {
    const monitorExecution = env.MONITOR === 'on';
    for (let job = 0; job < jobs; job++) {
      await this.registry.addJob(
        { name: `bench-${job}`, cron: '* * * * * ?', shardingTotalCount: items, monitorExecution, overwrite: true },
        (context: ShardingContext) => record(job, context.shardingItem, context.fireTime),
      );
    }
  }
}

@Injectable()
class ScheduleJobs implements OnModuleInit {
  constructor(private readonly registry: SchedulerRegistry) {}

  onModuleInit() {
    for (let job = 0; job < jobs; job++) {
      // What `@Cron('* * * * * *')` registers. The tick does not say which fire it is: the second it runs in stands
      // for it (a tick later than a second would count as the next fire's).
      const cron = CronJob.from({
        cronTime: '* * * * * *',
        onTick: () => record(job, 0, Math.floor(Date.now() / 1000) * 1000),
      });
      this.registry.addCronJob(`bench-${job}`, cron);
      cron.start();
    }
  }
}

@Module({
  imports:
    system === 'schedule'
      ? [ScheduleModule.forRoot()]
      : [
          ElasticJobModule.forRoot({
            registryCenter: { serverLists: env.ZK_SERVERS!, namespace: env.ZK_NAMESPACE! },
            ...(env.TRACING_URL && { tracing: { type: 'RDB', dataSource: env.TRACING_URL } }),
          }),
        ],
  providers: [system === 'schedule' ? ScheduleJobs : ElasticJobs],
})
class WorkerModule {}

async function main() {
  Logger.overrideLogger(['error']);
  gc();
  const before = process.memoryUsage();
  const started = Date.now();
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  const runtime = system === 'elasticjob' ? app.get(ElasticJobRuntime) : undefined;
  const startupMs = Date.now() - started;
  gc();
  const after = process.memoryUsage();
  emit({
    event: 'ready',
    startupMs,
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    heapBytes: after.heapUsed - before.heapUsed,
    rssBytes: after.rss - before.rss,
  });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, from, to] = line.split(' ');
    if (command !== 'measure') {
      return;
    }
    window = { from: Number(from), to: Number(to) };
    const startIn = Number(from) * 1000 - Date.now();
    let cpuFrom = { usage: process.cpuUsage(), at: Date.now() };
    setTimeout(
      () => {
        loop.enable();
        cpuFrom = { usage: process.cpuUsage(), at: Date.now() };
      },
      Math.max(0, startIn),
    );
    // The last fire's runs (the slowest start up to a second late at 10,000 jobs) are in by then.
    setTimeout(
      () => {
        loop.disable();
        const cpu = process.cpuUsage(cpuFrom.usage);
        const done = {
          event: 'done',
          samples,
          counts: audit.toJSON(),
          loopDelayP99: loop.percentile(99) / 1e6,
          // CPU time of the process per second of the window (every second of it has a fire).
          cpuMsPerSecond: (cpu.user + cpu.system) / (Date.now() - cpuFrom.at),
          tracing: runtime?.tracingStats(),
        };
        // No orderly close: with 10,000 jobs it takes a while, and the benchmark is done with this process.
        process.stdout.write(`${JSON.stringify(done)}\n`, () => process.exit(0));
      },
      (Number(to) + 2) * 1000 - Date.now(),
    );
  });
}

main().catch((error) => {
  emit({ event: 'failed', error: String(error?.stack ?? error) });
  process.exit(1);
});
