import { CronExpression, CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
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

const QUARTZ_DAY_NAMES = /^(SUN|MON|TUE|WED|THU|FRI|SAT)$/i;
const MAX_YEAR_SCAN = 1_000;
const LAST_YEAR = 2199;

/**
 * Compiles a Quartz expression (`sec min hour dom month dow [year]`, day-of-week 1=SUN..7=SAT) or a 5-field Unix
 * expression (`min hour dom month dow`, day-of-week 0=SUN..6=SAT).
 */
export function compileCron(cron: string, zone?: string): CompiledCron {
  const fields = cron.trim().split(/\s+/).filter(Boolean);
  if (fields.length === 0) {
    throw new CronSyntaxError('the expression is empty');
  }
  if (fields.length !== 5 && fields.length !== 6 && fields.length !== 7) {
    throw new CronSyntaxError(
      `expected 6 or 7 fields (Quartz: sec min hour day-of-month month day-of-week [year]) or 5 (Unix), got ${fields.length}`,
    );
  }
  let yearMatches: ((year: number) => boolean) | undefined;
  let expression: string;
  if (fields.length === 5) {
    expression = fields.join(' ');
  } else {
    if (fields.some((field) => /W/i.test(field.replace(/WED/gi, '')))) {
      throw new CronSyntaxError('the W (nearest weekday) modifier is not supported');
    }
    const [sec, min, hour, dom, month, dow, year] = fields;
    expression = [sec, min, hour, dom === '?' ? '*' : dom, month, translateQuartzDayOfWeek(dow)].join(' ');
    if (year !== undefined && year !== '*') {
      yearMatches = parseYearField(year);
    }
  }
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(expression, { tz: zone, currentDate: new Date() });
    parsed.next();
  } catch (error) {
    throw new CronSyntaxError((error as Error).message);
  }
  const key = `${expression}|${fields[6] ?? '*'}|${zone ?? ''}`;
  return {
    key,
    next(after: number): number | null {
      let from = after;
      for (let i = 0; i < MAX_YEAR_SCAN; i++) {
        parsed.reset(new Date(from));
        let time: number;
        try {
          time = parsed.next().getTime();
        } catch {
          return null;
        }
        // The year of the fire in the cron's own zone, as the other fields are.
        const year = DateTime.fromMillis(time, { zone: zone ?? 'system' }).year;
        if (!yearMatches || yearMatches(year)) {
          return time;
        }
        const nextYear = nextMatchingYear(yearMatches, year);
        if (nextYear === null) {
          return null;
        }
        from = DateTime.fromObject({ year: nextYear, month: 1, day: 1 }, { zone: zone ?? 'system' }).toMillis() - 1;
      }
      return null;
    },
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

function translateQuartzDayOfWeek(field: string): string {
  if (field === '?' || field === '*') {
    return '*';
  }
  if (field === 'L') {
    return 'SAT';
  }
  return field
    .split(',')
    .map((part) => {
      const match = /^([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(\/\d+|L|#\d)?$/.exec(part);
      if (!match) {
        throw new CronSyntaxError(`day-of-week "${field}" is not valid`);
      }
      const [, from, to, suffix = ''] = match;
      return `${quartzDay(from, field)}${to !== undefined ? `-${quartzDay(to, field)}` : ''}${suffix}`;
    })
    .join(',');
}

function quartzDay(value: string, field: string): string {
  if (QUARTZ_DAY_NAMES.test(value)) {
    return value.toUpperCase();
  }
  const day = Number(value);
  if (!Number.isInteger(day) || day < 1 || day > 7) {
    throw new CronSyntaxError(`day-of-week "${field}": ${value} is out of range 1-7 (1=SUN .. 7=SAT in Quartz)`);
  }
  return String(day - 1);
}

function parseYearField(field: string): (year: number) => boolean {
  const predicates = field.split(',').map((part) => {
    const match = /^(\d{4})(?:-(\d{4}))?(?:\/(\d+))?$/.exec(part);
    if (!match) {
      throw new CronSyntaxError(`year "${field}" is not valid`);
    }
    const from = Number(match[1]);
    const to = match[2] !== undefined ? Number(match[2]) : match[3] !== undefined ? LAST_YEAR : from;
    const step = Number(match[3] ?? 1);
    if (to < from || step < 1) {
      throw new CronSyntaxError(`year "${field}" is not valid`);
    }
    return (year: number) => year >= from && year <= to && (year - from) % step === 0;
  });
  return (year) => predicates.some((matches) => matches(year));
}

function nextMatchingYear(matches: (year: number) => boolean, after: number): number | null {
  for (let year = after + 1; year <= LAST_YEAR; year++) {
    if (matches(year)) {
      return year;
    }
  }
  return null;
}
