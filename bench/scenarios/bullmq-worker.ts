import { Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * One BullMQ worker process of the BullMQ peer benchmark (`bullmq.ts`): concurrency 1 on queue QUEUE (Redis on
 * 127.0.0.1:6379). Prints `ready` once it takes jobs, then `run` at the start of each job (its scheduled fire time and
 * the time the handler started) and `end` when it returns.
 *
 * LONG_FROM_FIRE (epoch ms): the first run, across all the workers, of a fire at or after it takes LONG_MS ms, so that
 * the scenario can kill the worker holding it. LOCK_DURATION_MS / STALLED_INTERVAL_MS: BullMQ's defaults (30 s) when
 * unset.
 */
const env = process.env;
const queue = env.QUEUE!;
const longFrom = env.LONG_FROM_FIRE ? Number(env.LONG_FROM_FIRE) : undefined;
const longMs = Number(env.LONG_MS ?? 20_000);
// Absent, not `undefined`: BullMQ fills its defaults in with Object.assign, which an undefined value would overwrite.
const lockOptions = {
  ...(env.LOCK_DURATION_MS ? { lockDuration: Number(env.LOCK_DURATION_MS) } : {}),
  ...(env.STALLED_INTERVAL_MS ? { stalledInterval: Number(env.STALLED_INTERVAL_MS) } : {}),
};
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

/**
 * The fire a run belongs to. A job scheduler's iteration has the id `repeat:<schedulerId>:<nextMillis>`, where
 * `nextMillis` is the time the cron pattern gave for that iteration (the Lua script that adds the next iteration builds
 * the id from it and delays the job until then). It is exact and survives a retry after a stall; `timestamp + delay`
 * is the same time only while the delay was not clamped to 0 (an iteration added late), so it is the fallback.
 */
function fireTimeOf(job: Job): number {
  const millis = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  return Number.isFinite(millis) && millis > 0 ? millis : job.timestamp + (job.delay ?? 0);
}

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
// Its own client: BullMQ's client wrapper has no SET NX.
const claims = longFrom === undefined ? undefined : new Redis(connection);

/**
 * Which run is the long one is decided in Redis, not per process: each worker sees only some of the fires, and the
 * retry of the long run on another worker (after the kill) must return at once like any other run.
 */
async function claimLongRun(fire: number): Promise<boolean> {
  if (longFrom === undefined || fire < longFrom) {
    return false;
  }
  return (await claims!.set(`bull:${queue}:bench-long`, String(fire), 'PX', 600_000, 'NX')) === 'OK';
}

async function main() {
  const worker = new Worker(
    queue,
    async (job: Job) => {
      const at = Date.now();
      const fire = fireTimeOf(job);
      const long = await claimLongRun(fire);
      emit({ event: 'run', fire, at, pid: process.pid, jobId: job.id, long });
      if (long) {
        await new Promise((resolve) => setTimeout(resolve, longMs));
      }
      emit({ event: 'end', fire, at: Date.now(), pid: process.pid, jobId: job.id });
    },
    {
      connection,
      concurrency: 1,
      ...lockOptions,
      // Completed and failed iterations would pile up in Redis for the length of the run otherwise.
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  );
  worker.on('error', (error) => process.stderr.write(`worker error: ${error.stack ?? error}\n`));
  await worker.waitUntilReady();
  emit({ event: 'ready', pid: process.pid, at: Date.now() });
}

main().catch((error) => {
  emit({ event: 'failed', error: String(error?.stack ?? error) });
  process.exit(1);
});
