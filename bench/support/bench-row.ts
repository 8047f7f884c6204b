/**
 * One row of the benchmark table. Every scenario script prints, as its last line on stdout, `{"rows": BenchRow[]}`;
 * the runner (`bench/run.ts`) collects them. Leave out what a row does not measure.
 */
export interface BenchRow {
  /** Section of the table: `lateness`, `coordination`, `scale`, `elasticity`, `failover`, `peers`. */
  section: string;
  /** `nestjs-elasticjob`, `@nestjs/schedule`, `BullMQ`, `pg-boss`, `ZooKeeper`. */
  system: string;
  /** What was run, in words: `1,000 jobs, 1 instance, monitorExecution off`. */
  setup: string;
  jobs?: number;
  instances?: number;
  /** Fires measured. */
  fires?: number;
  /** Lateness, fire time to handler start (ms). */
  p50?: number;
  p99?: number;
  max?: number;
  /** Runs seen, runs expected (one per job, item and fire), and the audit's verdict. */
  runs?: number;
  expected?: number;
  duplicates?: number;
  misses?: number;
  /** Start-up time to register the jobs (ms). */
  startupMs?: number;
  heapKbPerJob?: number;
  rssMbPer1000Jobs?: number;
  /** Event-loop delay p99 (ms), `monitorEventLoopDelay`, over the measured fires. */
  loopDelayP99?: number;
  /** ZooKeeper requests per item per fire, from the server's own counters. */
  zkWritesPerItemFire?: number;
  zkReadsPerItemFire?: number;
  /** Throughput figures (ZooKeeper's ceiling, what a load needs). */
  writesPerSecond?: number;
  /** Time to recover, or to take effect (ms): kill -9 to re-run, join to first fire on the new assignment. */
  effectMs?: number;
  note?: string;
}

/** Prints the rows as the scenario's last line (what the runner reads). */
export function reportRows(rows: BenchRow[]): void {
  process.stdout.write(`${JSON.stringify({ rows })}\n`);
}

/** Progress for the person watching (stderr, so it never mixes with the rows). */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

export const quickMode = () => process.argv.includes('--quick');

/** Runs a scenario's `main`: reports its rows and exits 0, or prints the error and exits 1. */
export function runScenario(main: () => Promise<BenchRow[]>): void {
  main().then(
    (rows) => {
      reportRows(rows);
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
