import { Queue } from 'bullmq';
import { join } from 'node:path';
import { AppProcess } from '../../test/support/app-process';
import { RunAudit } from '../support/audit';
import { PeerRun, peerRunsOf } from '../support/peer-run';
import { BenchRow, progress, quickMode, runScenario } from '../support/bench-row';
import { ensureRedis } from '../support/services';
import { latenessOf } from '../support/stats';

/**
 * The peer BullMQ (v5, Redis): one job scheduler on a 1-second cron (`* * * * * *`, `Queue.upsertJobScheduler`)
 * consumed by 3 worker processes of concurrency 1. Measures, after a 2-second warm-up, the lateness of F fires
 * (handler start - the fire time the scheduler gave the iteration, see `fireTimeOf` in `bullmq-worker.ts`) and audits
 * each second of the window for duplicate and missed runs. Then the failover: the worker running one (long) iteration
 * is killed with SIGKILL, and the time from the kill to the start of that iteration's retry on another worker is
 * measured, with lockDuration and stalledInterval at 5 s and (not with --quick) at BullMQ's defaults of 30 s.
 *
 *   node .build/bench/scenarios/bullmq.js [--quick]
 */
const WORKER = join(__dirname, 'bullmq-worker.js');
const WORKERS = 3;
const LONG_MS = 20_000;
const CONNECTION = { host: '127.0.0.1', port: 6379 };
const SCHEDULER = 'bench';
/** Time the workers get to start before the scheduler is created (they must be taking jobs by its first fire). */
const STARTUP_S = 3;
const WARMUP_S = 2;

type Run = PeerRun;

const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

/** Polls `condition` every few ms (a kill should follow the run it waits for closely); false on timeout. */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

let queueSeq = 0;

/** A fresh queue with 3 worker processes; `close` kills them and removes every key of the queue. */
class Cluster {
  private constructor(
    readonly queue: Queue,
    readonly workers: AppProcess[],
  ) {}

  static async start(env: Record<string, string>): Promise<Cluster> {
    const name = `bench-bullmq-${process.pid}-${Date.now()}-${++queueSeq}`;
    const queue = new Queue(name, { connection: CONNECTION });
    const workers = Array.from({ length: WORKERS }, (_, i) =>
      AppProcess.spawn(`bullmq-${i}`, [WORKER], { ...env, QUEUE: name, LONG_MS: String(LONG_MS) }),
    );
    const cluster = new Cluster(queue, workers);
    try {
      await Promise.all(workers.map((worker) => worker.waitForEvent('ready', 20_000)));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** The scheduler's first fire is the next whole second. */
  async schedule(): Promise<void> {
    await this.queue.upsertJobScheduler(SCHEDULER, { pattern: '* * * * * *' }, { name: 'tick' });
  }

  runs(): Run[] {
    return peerRunsOf(this.workers);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop('SIGKILL')));
    try {
      // Forced: the killed workers leave iterations in the active list.
      await this.queue.obliterate({ force: true });
      await (await this.queue.client).del(`bull:${this.queue.name}:bench-long`);
    } finally {
      await this.queue.close();
    }
  }
}

/** Audit key of a run: BullMQ's fires are whole seconds, rounding only guards against a stray millisecond. */
const secondOf = (fire: number) => Math.round(fire / 1000);

function audit(runs: Run[], fromS: number, toS: number) {
  const runAudit = new RunAudit();
  runs.forEach((run) => runAudit.record('bullmq', 0, secondOf(run.fire)));
  const seconds = Array.from({ length: Math.max(0, toS - fromS + 1) }, (_, i) => fromS + i);
  return runAudit.verdict(['bullmq'], 1, seconds);
}

/**
 * Waits for the long run, kills its worker and waits up to `waitMs` for the same iteration (job id, or failing that
 * the same fire) to start on another worker.
 */
async function failover(
  cluster: Cluster,
  longFire: number,
  waitMs: number,
): Promise<Pick<BenchRow, 'effectMs' | 'note'>> {
  const longRun = () => cluster.runs().find((run) => run.long);
  if (!(await until(() => longRun() !== undefined, longFire - Date.now() + 10_000))) {
    throw new Error(`no run of a fire at or after ${new Date(longFire).toISOString()} started`);
  }
  const long = longRun()!;
  const victim = cluster.workers.find((worker) => worker.child.pid === long.pid)!;
  const killedAt = Date.now();
  await victim.stop('SIGKILL');
  progress(`bullmq: killed worker ${long.pid} ${killedAt - long.at} ms after it started job ${long.jobId}`);
  const retryOf = () =>
    cluster
      .runs()
      .find((run) => run.pid !== long.pid && (run.jobId === long.jobId || secondOf(run.fire) === secondOf(long.fire)));
  if (!(await until(() => retryOf() !== undefined, waitMs))) {
    return { note: `job ${long.jobId} did not run again within ${waitMs / 1000} s of the kill` };
  }
  const retry = retryOf()!;
  // The other workers go on with the later fires meanwhile: were any of them lost or run twice? (The killed fire itself
  // starts twice by design: the killed run and its retry.)
  const during = audit(cluster.runs(), secondOf(long.fire) + 1, secondOf(retry.at) - 1);
  return {
    effectMs: retry.at - killedAt,
    note:
      `retried as ${retry.jobId === long.jobId ? 'the same job id' : 'another job of the same fire'} once its lock ` +
      `expired and a stalled check of another worker moved it back to wait; ${during.expected} later fires until then, ` +
      `${during.misses} missed, ${during.duplicates} duplicated`,
  };
}

async function peersAndFailover(fires: number): Promise<BenchRow[]> {
  // LONG_FROM_FIRE is fixed at spawn, so the whole timeline is planned from now: start-up, warm-up, the F measured
  // fires, then the long run just after them.
  const fromS = Math.ceil(Date.now() / 1000) + STARTUP_S + WARMUP_S;
  const toS = fromS + fires - 1;
  const longFire = (toS + 1) * 1000;
  const cluster = await Cluster.start({
    LONG_FROM_FIRE: String(longFire),
    LOCK_DURATION_MS: '5000',
    STALLED_INTERVAL_MS: '5000',
  });
  try {
    const scheduleAt = (fromS - WARMUP_S - 1) * 1000 + 100;
    if (Date.now() > scheduleAt) {
      throw new Error(`the BullMQ workers took more than ${STARTUP_S} s to start`);
    }
    await sleepUntil(scheduleAt);
    await cluster.schedule();
    progress(`bullmq: ${fires} fires from ${new Date(fromS * 1000).toISOString()}, then kill -9 of a running worker`);
    const recovery = await failover(cluster, longFire, 60_000);
    const runs = cluster.runs().filter((run) => secondOf(run.fire) >= fromS && secondOf(run.fire) <= toS);
    return [
      {
        section: 'peers',
        system: 'BullMQ',
        setup: `1 job scheduler every 1 s, ${WORKERS} worker processes`,
        instances: WORKERS,
        jobs: 1,
        fires,
        ...latenessOf(runs.map((run) => run.at - run.fire)),
        ...audit(runs, fromS, toS),
      },
      {
        section: 'failover',
        system: 'BullMQ',
        setup: 'kill -9 of the worker running a job (lockDuration 5 s, stalledInterval 5 s)',
        ...recovery,
        note: `${recovery.note}; BullMQ's defaults are 30 s for both`,
      },
    ];
  } finally {
    await cluster.close();
  }
}

async function defaultFailover(): Promise<BenchRow> {
  const longFire = (Math.ceil(Date.now() / 1000) + STARTUP_S + WARMUP_S) * 1000;
  const cluster = await Cluster.start({ LONG_FROM_FIRE: String(longFire) });
  try {
    await cluster.schedule();
    progress('bullmq: kill -9 of a running worker, default lockDuration and stalledInterval (30 s)');
    return {
      section: 'failover',
      system: 'BullMQ',
      setup: 'kill -9 of the worker running a job (default lockDuration 30 s, stalledInterval 30 s)',
      ...(await failover(cluster, longFire, 90_000)),
    };
  } finally {
    await cluster.close();
  }
}

async function main(): Promise<BenchRow[]> {
  await ensureRedis();
  const quick = quickMode();
  const rows = await peersAndFailover(quick ? 10 : 30);
  if (!quick) {
    rows.push(await defaultFailover());
  }
  return rows;
}

runScenario(main);
