import { nextQuartzFire, parseQuartzCron, QuartzCron, unixToQuartz, ZoneClock } from './quartz-cron';
import { normalizeTimeZone } from './time-zone';

/** A parsed cron expression that yields fire times. */
export interface CompiledCron {
  /** Identity of the schedule (normalized expression and zone): jobs with equal keys share one timer entry. */
  readonly key: string;
  /** The first fire time strictly after `after` (epoch ms), or `null` when the schedule has ended. */
  next(after: number): number | null;
}

/** Thrown with the reason when a cron expression cannot be used. */
export class CronSyntaxError extends Error {}

/**
 * Compiles a Quartz expression (`sec min hour dom month dow [year]`, day-of-week 1=SUN..7=SAT), with Quartz's
 * semantics (`quartz-cron.ts`), or a 5-field Unix expression (`min hour dom month dow`, day-of-week 0=SUN..6=SAT),
 * read in its Quartz form (`unixToQuartz`).
 */
export function compileCron(cron: string, zone?: string): CompiledCron {
  const fields = cron.trim().split(/\s+/).filter(Boolean);
  if (fields.length === 0) {
    throw new CronSyntaxError('the expression is empty');
  }
  let parsed: QuartzCron;
  let clock: ZoneClock;
  let expression: string;
  try {
    expression = fields.length === 5 ? unixToQuartz(fields.join(' ')) : fields.join(' ');
    parsed = parseQuartzCron(expression);
    clock = new ZoneClock(zone);
  } catch (error) {
    throw new CronSyntaxError((error as Error).message);
  }
  return {
    key: `${expression.toUpperCase()}|${zone ?? ''}`,
    next: (after: number): number | null => nextQuartzFire(parsed, clock, after),
  };
}

/**
 * A job's schedule: its cron in its `timeZone` (an IANA name, or an offset as Java writes it; the process zone when
 * unset or unknown). The validator has refused unknown zones already.
 */
export function compileJobCron(cron: string, timeZone: string | undefined): CompiledCron {
  const key = `${cron}\n${timeZone ?? ''}`;
  let compiled = compiledJobCrons.get(key);
  if (!compiled) {
    compiled = compileCron(cron, timeZone ? (normalizeTimeZone(timeZone) ?? undefined) : undefined);
    if (compiledJobCrons.size >= MAX_COMPILED_JOB_CRONS) {
      compiledJobCrons.delete(compiledJobCrons.keys().next().value!);
    }
    compiledJobCrons.set(key, compiled);
  }
  return compiled;
}

// A compiled cron keeps no state between calls, so jobs with the same cron and zone share one (thousands of jobs on a
// few crons: a compiled expression costs about 1 KB). Bounded: the oldest goes first.
const MAX_COMPILED_JOB_CRONS = 1_024;
const compiledJobCrons = new Map<string, CompiledCron>();

const HOUR_MS = 3_600_000;

/**
 * The latest fire time strictly between `after` and `before`, or `undefined` when there is none. Looks in the last hour
 * first, so that a frequent schedule is not walked fire by fire over a long span.
 */
export function latestFireBetween(cron: CompiledCron, after: number, before: number): number | undefined {
  const scan = (from: number): number | undefined => {
    let latest: number | undefined;
    for (let time = cron.next(from); time !== null && time < before; time = cron.next(time)) {
      latest = time;
    }
    return latest;
  };
  if (before - after > HOUR_MS) {
    const recent = scan(before - HOUR_MS - 1);
    if (recent !== undefined) {
      return recent;
    }
  }
  return scan(after);
}
