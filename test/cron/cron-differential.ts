import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileJobCron } from '../../lib/cron';

/** Debian's Quartz (package libquartz2-java): the oracle. */
export const QUARTZ_JAR = '/usr/share/java/quartz2.jar';

/** One case of the comparison: an expression in a zone, the next `count` fires after `start`. */
export interface CronCase {
  expression: string;
  zone: string;
  start: number;
}

/** What an engine answers: `invalid`, or the fire times (`end` when the schedule ended first). */
export type CronAnswer = 'invalid' | string;

/** Compiles `QuartzOracle.java` against Quartz into a temporary folder; returns the class path. */
export function compileOracle(): string {
  const out = mkdtempSync(join(tmpdir(), 'quartz-oracle-'));
  // The source beside this file, whether it runs from the sources (jest) or compiled (.build).
  const source = join(__dirname, '../../..', 'test/cron/QuartzOracle.java');
  const fromSources = join(__dirname, 'QuartzOracle.java');
  const result = spawnSync('javac', ['-cp', QUARTZ_JAR, '-d', out, existsSync(fromSources) ? fromSources : source], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`javac failed: ${result.stderr}`);
  }
  return `${QUARTZ_JAR}:${out}`;
}

/** Quartz's answers, one Java process for all the cases. */
export function quartzAnswers(classPath: string, cases: readonly CronCase[], count: number): CronAnswer[] {
  const input = cases.map((c) => `${c.expression}\t${c.zone}\t${c.start}\t${count}`).join('\n') + '\n';
  const result = spawnSync('java', ['-cp', classPath, 'QuartzOracle'], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`the Quartz oracle failed: ${result.stderr}`);
  }
  return result.stdout.trimEnd().split('\n');
}

/** This module's answers (the engine jobs are scheduled with). */
export function moduleAnswer(c: CronCase, count: number): CronAnswer {
  let cron;
  try {
    cron = compileJobCron(c.expression, c.zone);
  } catch {
    return 'invalid';
  }
  const times: string[] = [];
  let after = c.start;
  for (let i = 0; i < count; i++) {
    const next = cron.next(after);
    if (next === null) {
      times.push('end');
      break;
    }
    times.push(String(next));
    after = next;
  }
  return times.join(',');
}
