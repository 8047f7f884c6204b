import { Info, Zone } from 'luxon';

/**
 * Quartz's cron dialect (`sec min hour day-of-month month day-of-week [year]`), parsed and evaluated as Quartz 2.3
 * does (ElasticJob's engine), so that a configuration written for ElasticJob means the same here: day-of-week 1=SUN
 * .. 7=SAT, exactly one of the two day fields `?`, `L`, `L-n`, `W`, `LW` in the day of month, `L`, `nL`, `n#m` in the
 * day of week, wrap-around ranges (`22-2`, `FRI-MON`), steps bounded by the field. Fire times are searched in the
 * zone's wall-clock time: a wall-clock time that does not exist (a DST gap) is skipped, and one that occurs twice (a
 * DST overlap) fires once, at its second occurrence, as Java's calendar resolves it.
 */

/** Thrown with the reason when an expression is not valid Quartz. */
export class QuartzSyntaxError extends Error {}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The last year searched (Quartz's MAX_YEAR: a century ahead). */
export const QUARTZ_MAX_YEAR = new Date().getUTCFullYear() + 100;

interface FieldShape {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const SECOND: FieldShape = { name: 'seconds', min: 0, max: 59 };
const MINUTE: FieldShape = { name: 'minutes', min: 0, max: 59 };
const HOUR: FieldShape = { name: 'hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldShape = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldShape = { name: 'month', min: 1, max: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldShape = { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES };
// Any year is accepted, as Quartz does; those out of 1970..QUARTZ_MAX_YEAR never come.
const YEAR: FieldShape = { name: 'year', min: 0, max: 9999 };

/** The day-of-month rule: plain days, or one of Quartz's specials. */
type DayOfMonthRule =
  | { kind: 'days'; days: boolean[] }
  | { kind: 'last'; offset: number }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

/** The day-of-week rule: plain days (1=SUN), the last given weekday of the month, or the n-th. */
type DayOfWeekRule =
  { kind: 'days'; days: boolean[] } | { kind: 'lastOfMonth'; day: number } | { kind: 'nth'; day: number; nth: number };

/** A parsed Quartz expression. */
export interface QuartzCron {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: readonly number[];
  /** `undefined`: every year. */
  readonly years?: readonly number[];
  readonly dayOfMonth?: DayOfMonthRule;
  readonly dayOfWeek?: DayOfWeekRule;
}

/** Parses a Quartz expression; throws a `QuartzSyntaxError` naming the field where Quartz would refuse it. */
export function parseQuartzCron(expression: string): QuartzCron {
  const fields = expression.trim().toUpperCase().split(/\s+/).filter(Boolean);
  if (fields.length !== 6 && fields.length !== 7) {
    throw new QuartzSyntaxError(
      `expected 6 or 7 fields (sec min hour day-of-month month day-of-week [year]), got ${fields.length}`,
    );
  }
  const [sec, min, hour, dom, month, dow, year] = fields;
  for (const [field, shape] of [
    [sec, SECOND],
    [min, MINUTE],
    [hour, HOUR],
    [month, MONTH],
    [year, YEAR],
  ] as const) {
    if (field !== undefined && (field.includes('?') || /[LW#]/.test(withoutNames(field, shape)))) {
      throw new QuartzSyntaxError(`${shape.name} "${field}": "?", "L", "W" and "#" belong to the day fields`);
    }
  }
  if ((dom === '?') === (dow === '?')) {
    throw new QuartzSyntaxError(
      `day-of-month "${dom}" and day-of-week "${dow}": exactly one of them must be "?" (Quartz does not combine them)`,
    );
  }
  return {
    seconds: listOf(valuesOf(sec, SECOND)),
    minutes: listOf(valuesOf(min, MINUTE)),
    hours: listOf(valuesOf(hour, HOUR)),
    months: listOf(valuesOf(month, MONTH)),
    years: year === undefined || year === '*' ? undefined : listOf(valuesOf(year, YEAR)),
    dayOfMonth: dom === '?' ? undefined : dayOfMonthRule(dom),
    dayOfWeek: dow === '?' ? undefined : dayOfWeekRule(dow),
  };
}

function withoutNames(field: string, shape: FieldShape): string {
  return shape.names ? shape.names.reduce((text, name) => text.split(name).join(''), field) : field;
}

function listOf(values: boolean[]): number[] {
  return values.flatMap((on, value) => (on ? [value] : []));
}

/** The values of a plain field (lists of `*`, `v`, `a-b`, with `/n` steps; names; wrap-around ranges). */
function valuesOf(field: string, shape: FieldShape): boolean[] {
  const values: boolean[] = [];
  for (const part of field.split(',')) {
    addPart(values, part, field, shape);
  }
  return values;
}

function addPart(values: boolean[], part: string, field: string, shape: FieldShape): void {
  const fail = (reason: string): never => {
    throw new QuartzSyntaxError(`${shape.name} "${field}": ${reason}`);
  };
  const match = /^(\*|[A-Z]{3}|\d+)?(?:-([A-Z]{3}|\d+))?(?:\/(\d+))?$/.exec(part);
  if (!match || (match[1] === undefined && match[3] === undefined)) {
    fail(`"${part}" is not a value, a range or a step`);
  }
  const [, from = '*', to, stepText] = match!;
  const named = /^[A-Z]/.test(from) && from !== '*';
  const step = stepText === undefined ? 1 : Number(stepText);
  const span = shape.max - shape.min + 1;
  if (stepText !== undefined && (step < 1 || (shape !== YEAR && step > shape.max))) {
    fail(`the step ${stepText} is beyond the field (${shape.min}-${shape.max})`);
  }
  if (from === '*') {
    if (to !== undefined) {
      fail(`"${part}" is not a range`);
    }
    for (let value = shape.min; value <= shape.max; value += step) {
      values[value] = true;
    }
    return;
  }
  const start = valueOf(from, shape, fail);
  // A name with a step but no range: Quartz takes the name alone.
  if (to === undefined && (stepText === undefined || named)) {
    values[start] = true;
    return;
  }
  const end = to === undefined ? (shape === YEAR ? QUARTZ_MAX_YEAR : shape.max) : valueOf(to, shape, fail);
  if (end >= start) {
    for (let value = start; value <= end; value += step) {
      values[value] = true;
    }
    return;
  }
  if (shape === YEAR) {
    fail(`the range ${part} ends before it starts`);
  }
  // Wrap-around (`22-2`, `FRI-MON`): on past the end of the field, from its start.
  for (let offset = 0; offset <= end + span - start; offset += step) {
    values[shape.min + ((start - shape.min + offset) % span)] = true;
  }
}

function valueOf(text: string, shape: FieldShape, fail: (reason: string) => never): number {
  if (/^[A-Z]{3}$/.test(text)) {
    const index = shape.names?.indexOf(text) ?? -1;
    if (index < 0) {
      fail(`"${text}" is not a name of the field`);
    }
    return index + shape.min;
  }
  const value = Number(text);
  if (value < shape.min || value > shape.max) {
    fail(`${text} is out of range ${shape.min}-${shape.max}`);
  }
  return value;
}

function dayOfMonthRule(field: string): DayOfMonthRule {
  const fail = (reason: string): never => {
    throw new QuartzSyntaxError(`day-of-month "${field}": ${reason}`);
  };
  if (field === 'LW') {
    return { kind: 'lastWeekday' };
  }
  const last = /^L(?:-(\d+))?$/.exec(field);
  if (last) {
    const offset = Number(last[1] ?? 0);
    if (offset > 30) {
      fail('the offset from the last day must be at most 30');
    }
    return { kind: 'last', offset };
  }
  const nearest = /^(\d+)W$/.exec(field);
  if (nearest) {
    const day = Number(nearest[1]);
    if (day < 1 || day > 31) {
      fail(`${day} is out of range 1-31`);
    }
    return { kind: 'nearestWeekday', day };
  }
  if (/[LW]/.test(field)) {
    fail('"L" and "W" cannot be combined with other days');
  }
  return { kind: 'days', days: valuesOf(field, DAY_OF_MONTH) };
}

function dayOfWeekRule(field: string): DayOfWeekRule {
  const fail = (reason: string): never => {
    throw new QuartzSyntaxError(`day-of-week "${field}": ${reason}`);
  };
  if (field === 'L') {
    return { kind: 'days', days: valuesOf('7', DAY_OF_WEEK) };
  }
  const last = /^([A-Z]{3}|\d+)L$/.exec(field);
  if (last) {
    return { kind: 'lastOfMonth', day: valueOf(last[1], DAY_OF_WEEK, fail) };
  }
  const nth = /^([A-Z]{3}|\d+)#(\d+)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) {
      fail('the n-th weekday must be from 1 to 5');
    }
    return { kind: 'nth', day: valueOf(nth[1], DAY_OF_WEEK, fail), nth: n };
  }
  if (/[L#]/.test(withoutNames(field, DAY_OF_WEEK))) {
    fail('"L" and "#" cannot be combined with other days');
  }
  return { kind: 'days', days: valuesOf(field, DAY_OF_WEEK) };
}

/** Days in a month of the proleptic Gregorian calendar. */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1=SUN .. 7=SAT. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** Whether the day matches the cron's day rules. */
function dayMatches(cron: QuartzCron, year: number, month: number, day: number): boolean {
  const dim = daysIn(year, month);
  const dom = cron.dayOfMonth;
  if (dom) {
    switch (dom.kind) {
      case 'days':
        return dom.days[day] === true;
      case 'last':
        return day === dim - dom.offset;
      case 'lastWeekday': {
        const weekday = weekdayOf(year, month, dim);
        return day === (weekday === 1 ? dim - 2 : weekday === 7 ? dim - 1 : dim);
      }
      case 'nearestWeekday': {
        if (dom.day > dim) {
          return false;
        }
        const weekday = weekdayOf(year, month, dom.day);
        let target = dom.day;
        if (weekday === 7) {
          target = dom.day === 1 ? 3 : dom.day - 1;
        } else if (weekday === 1) {
          target = dom.day === dim ? dom.day - 2 : dom.day + 1;
        }
        return day === target;
      }
    }
  }
  const dow = cron.dayOfWeek!;
  const weekday = weekdayOf(year, month, day);
  switch (dow.kind) {
    case 'days':
      return dow.days[weekday] === true;
    case 'lastOfMonth':
      return weekday === dow.day && day + 7 > dim;
    case 'nth':
      return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
  }
}

/** The first value of `sorted` at or after `value`, or `undefined`. */
function atOrAfter(sorted: readonly number[], value: number): number | undefined {
  for (const candidate of sorted) {
    if (candidate >= value) {
      return candidate;
    }
  }
  return undefined;
}

/** A wall-clock time. */
interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The first wall-clock time at or after `from` that the cron matches, or `null` (none before `QUARTZ_MAX_YEAR`). */
export function nextWallTime(cron: QuartzCron, from: Wall): Wall | null {
  let { year, month, day, hour, minute, second } = from;
  const reset = (level: 'month' | 'day' | 'hour' | 'minute' | 'second') => {
    if (level === 'month') {
      month = 1;
    }
    if (level === 'month' || level === 'day') {
      day = 1;
    }
    if (level !== 'minute' && level !== 'second') {
      hour = 0;
    }
    if (level !== 'second') {
      minute = 0;
    }
    second = 0;
  };
  for (let guard = 0; guard < 100_000; guard++) {
    if (year > QUARTZ_MAX_YEAR) {
      return null;
    }
    if (cron.years && !cron.years.includes(year)) {
      const next = atOrAfter(cron.years, year);
      if (next === undefined) {
        return null;
      }
      year = next;
      reset('month');
      continue;
    }
    const nextMonth = atOrAfter(cron.months, month);
    if (nextMonth === undefined) {
      year++;
      reset('month');
      continue;
    }
    if (nextMonth !== month) {
      month = nextMonth;
      reset('day');
      continue;
    }
    const dim = daysIn(year, month);
    if (day > dim || !dayMatches(cron, year, month, day)) {
      let found: number | undefined;
      for (let candidate = day + 1; candidate <= dim; candidate++) {
        if (dayMatches(cron, year, month, candidate)) {
          found = candidate;
          break;
        }
      }
      if (found === undefined) {
        month++;
        if (month > 12) {
          year++;
          month = 1;
        }
        day = 1;
        reset('hour');
        continue;
      }
      day = found;
      reset('hour');
    }
    const nextHour = atOrAfter(cron.hours, hour);
    if (nextHour === undefined) {
      day++;
      reset('hour');
      continue;
    }
    if (nextHour !== hour) {
      hour = nextHour;
      reset('minute');
    }
    const nextMinute = atOrAfter(cron.minutes, minute);
    if (nextMinute === undefined) {
      hour++;
      reset('minute');
      continue;
    }
    if (nextMinute !== minute) {
      minute = nextMinute;
      second = 0;
    }
    const nextSecond = atOrAfter(cron.seconds, second);
    if (nextSecond === undefined) {
      minute++;
      second = 0;
      continue;
    }
    return { year, month, day, hour, minute, second: nextSecond };
  }
  return null;
}

/** A wall-clock time one second later (plain calendar arithmetic). */
export function secondAfter(wall: Wall): Wall {
  const t = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second + 1));
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
  };
}

/**
 * A zone's wall clock: wall-clock time of an instant, and the instant of a wall-clock time as Java's calendar
 * resolves it (`null` in a DST gap; the later of two in an overlap).
 */
export class ZoneClock {
  private readonly zone: Zone;
  // A fixed offset (UTC, GMT+08:00); else offsets by hour, for the hours without a change of offset (the zone's own
  // answer costs a call of Intl, tens of microseconds).
  private readonly fixed?: number;
  private readonly hours = new Map<number, number>();

  constructor(zone: string | undefined) {
    const normalized = Info.normalizeZone(zone ?? 'system');
    if (!normalized || !normalized.isValid) {
      throw new QuartzSyntaxError(`unknown time zone "${zone}"`);
    }
    this.zone = normalized;
    this.fixed = normalized.isUniversal ? normalized.offset(0) * 60_000 : undefined;
  }

  /** The zone's offset at `ms`, in ms. */
  private offset(ms: number): number {
    if (this.fixed !== undefined) {
      return this.fixed;
    }
    const hour = Math.floor(ms / HOUR_MS);
    let cached = this.hours.get(hour);
    if (cached === undefined) {
      const start = this.zone.offset(hour * HOUR_MS);
      // NaN: the offset changes within this hour; asked every time.
      cached = start === this.zone.offset(hour * HOUR_MS + HOUR_MS - 1) ? start * 60_000 : NaN;
      if (this.hours.size >= MAX_CACHED_HOURS) {
        this.hours.clear();
      }
      this.hours.set(hour, cached);
    }
    return Number.isNaN(cached) ? this.zone.offset(ms) * 60_000 : cached;
  }

  wallOf(ms: number): Wall {
    const t = new Date(ms + this.offset(ms));
    return {
      year: t.getUTCFullYear(),
      month: t.getUTCMonth() + 1,
      day: t.getUTCDate(),
      hour: t.getUTCHours(),
      minute: t.getUTCMinutes(),
      second: t.getUTCSeconds(),
    };
  }

  instantOf(wall: Wall): number | null {
    const local = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
    let found: number | null = null;
    for (const probe of [local - OFFSET_PROBE_MS, local + OFFSET_PROBE_MS]) {
      const instant = local - this.offset(probe);
      if (local - instant === this.offset(instant) && (found === null || instant > found)) {
        found = instant;
      }
    }
    return found;
  }
}

// Offsets are probed half a day either side of a wall-clock time: every zone's offsets lie within 14 hours.
const HOUR_MS = 3_600_000;
const OFFSET_PROBE_MS = 14 * HOUR_MS;
const MAX_CACHED_HOURS = 4_096;

/** The first fire strictly after `after` (epoch ms) in `clock`'s zone, or `null` when the schedule has ended. */
export function nextQuartzFire(cron: QuartzCron, clock: ZoneClock, after: number): number | null {
  let wall = secondAfter(clock.wallOf(Math.floor(after / 1000) * 1000));
  for (let guard = 0; guard < 100_000; guard++) {
    const candidate = nextWallTime(cron, wall);
    if (candidate === null) {
      return null;
    }
    const instant = clock.instantOf(candidate);
    if (instant !== null && instant > after) {
      return instant;
    }
    wall = secondAfter(candidate);
  }
  return null;
}

/**
 * A 5-field Unix expression (`min hour day-of-month month day-of-week`, day-of-week 0 or 7=SUN) in Quartz's form, as
 * it is stored: seconds `0`, the unrestricted day field `?`, days of the week by name. Unix runs a job on either day
 * field when both are restricted; Quartz cannot say that, so that form is refused.
 */
export function unixToQuartz(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new QuartzSyntaxError(`a Unix expression has 5 fields, got ${fields.length}`);
  }
  const [min, hour, dom, month, dow] = fields;
  const domFree = dom === '*' || dom === '?';
  const dowFree = dow === '*' || dow === '?';
  if (!domFree && !dowFree) {
    throw new QuartzSyntaxError(
      `day-of-month "${dom}" and day-of-week "${dow}": Unix runs on either, which Quartz cannot express; give one`,
    );
  }
  if (/[LW#?]/.test(withoutNames(`${min}${hour}${month}`, MONTH))) {
    throw new QuartzSyntaxError(`"${expression}" is not a Unix expression`);
  }
  let days = '?';
  if (!dowFree) {
    const unix = valuesOf(dow.toUpperCase(), { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES });
    days = DAY_NAMES.filter((_, index) => unix[index] || (index === 0 && unix[7])).join(',');
  }
  return ['0', min, hour, dowFree ? (dom === '?' ? '*' : dom) : '?', month, days].join(' ');
}
