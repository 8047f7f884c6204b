import { basename, join } from 'node:path';
import { AppProcess } from './app-process';

// The compiled fixture, whether this file runs from the sources (jest) or compiled itself (.build, the benchmarks).
export const CLUSTER_APP = join(
  __dirname,
  basename(join(__dirname, '../..')) === '.build'
    ? '../fixtures/cluster-app.js'
    : '../../.build/test/fixtures/cluster-app.js',
);

/** One run seen in an instance's output. */
export interface ClusterRun {
  item: number;
  at: number;
  ip: string;
  second: number;
}

/** Several copies of the cluster fixture app as real processes, and what they ran. */
export class Cluster {
  readonly instances = new Map<string, AppProcess>();

  constructor(private readonly env: Record<string, string>) {}

  async start(ip: string, extra: Record<string, string> = {}): Promise<AppProcess> {
    const app = AppProcess.spawn(`instance ${ip}`, [CLUSTER_APP], { ...this.env, INSTANCE_IP: ip, ...extra });
    this.instances.set(ip, app);
    await app.waitForEvent('started', 30_000);
    return app;
  }

  runs(): ClusterRun[] {
    return [...this.instances.values()].flatMap((app) =>
      app.of('run').map((e) => ({
        item: Number(e.item),
        at: Number(e.at),
        ip: String(e.ip),
        // The fire the run belongs to (a run delayed past the next second, or a misfire run, still counts for it).
        second: Math.floor(Number(e.fireTime ?? e.at) / 1000),
      })),
    );
  }

  /** Runs of every fire (second) from `from` to `to` included, by item. */
  bySecond(from: number, to: number): Map<number, ClusterRun[]> {
    const result = new Map<number, ClusterRun[]>();
    for (let second = from; second <= to; second++) {
      result.set(second, []);
    }
    for (const run of this.runs()) {
      result.get(run.second)?.push(run);
    }
    return result;
  }

  /** Pairs (fire second, item) that ran more than once, over the whole run. */
  duplicates(): string[] {
    const seen = new Map<string, number>();
    for (const run of this.runs()) {
      const key = `${run.second}:${run.item}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return [...seen.entries()].filter(([, count]) => count > 1).map(([key]) => key);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.instances.values()].map((app) => app.stop('SIGKILL')));
  }
}

/** The current second (epoch seconds). */
export const nowSecond = () => Math.floor(Date.now() / 1000);

/** Resolves when the wall clock has reached the start of `second` (plus `slackMs`). */
export function untilSecond(second: number, slackMs = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, second * 1000 + slackMs - Date.now())));
}
