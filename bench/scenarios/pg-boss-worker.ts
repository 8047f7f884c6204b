import PgBoss from 'pg-boss';

/**
 * One pg-boss worker process of the pg-boss peer benchmark (`pg-boss.ts`): its own PgBoss instance on schema SCHEMA
 * (PG_URL), one `work()` on queue QUEUE taking one job at a time at pg-boss's fastest polling (0.5 s). Prints `ready`
 * once it works, then `run` at the start of each job (the fire time it belongs to and the time the handler started)
 * and `end` when it returns.
 *
 * BOSS_OPTIONS: the PgBoss constructor options as JSON, the same in every process of the benchmark (pg-boss runs its
 * cron and maintenance loops in every instance and coordinates them through the database). LONG_MS: how long a job
 * sent with `{ long: true }` runs on its first attempt; its retry returns at once like any other run, so that the
 * scenario can kill the worker holding the first attempt and time the retry elsewhere.
 */
const env = process.env;
const queue = env.QUEUE!;
const longMs = Number(env.LONG_MS ?? 120_000);
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const MINUTE = 60_000;

/**
 * The cron fire a job belongs to. pg-boss keeps no cron time on the job: its timekeeper sends a job to the internal
 * queue `__pgboss__send-it` (at most once a minute per schedule: a 60 s singleton) as soon as the cron's previous fire
 * time is less than 60 s old, and a send-it worker then inserts the real job. So the job's `createdOn` (database
 * time) is a second or two after the minute boundary it was fired for, and that boundary is the minute of `createdOn`.
 */
const fireTimeOf = (job: PgBoss.JobWithMetadata) => Math.floor(job.createdOn.getTime() / MINUTE) * MINUTE;

async function main() {
  const boss = new PgBoss({
    ...(JSON.parse(env.BOSS_OPTIONS ?? '{}') as PgBoss.ConstructorOptions),
    connectionString: env.PG_URL!,
    schema: env.SCHEMA!,
  });
  boss.on('error', (error) => process.stderr.write(`pg-boss error: ${error.stack ?? error}\n`));
  await boss.start();
  await boss.work<{ long?: boolean }>(
    queue,
    { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 0.5 },
    async ([job]) => {
      const at = Date.now();
      const fire = fireTimeOf(job);
      const long = job.data?.long === true && job.retryCount === 0;
      const ids = { pid: process.pid, jobId: job.id, retryCount: job.retryCount };
      emit({ event: 'run', fire, at, createdOn: job.createdOn.getTime(), long, ...ids });
      if (long) {
        await new Promise((resolve) => setTimeout(resolve, longMs));
      }
      emit({ event: 'end', fire, at: Date.now(), ...ids });
    },
  );
  emit({ event: 'ready', pid: process.pid, at: Date.now() });
}

main().catch((error) => {
  emit({ event: 'failed', error: String(error?.stack ?? error) });
  process.exit(1);
});
