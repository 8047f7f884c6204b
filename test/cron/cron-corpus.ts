/**
 * The expressions of the differential cron test: every field's forms that Quartz documents (lists, ranges, wrap-around
 * ranges, steps, names, `L`, `L-n`, `W`, `LW`, `nL`, `n#m`, `?`, years), combined deterministically, valid and invalid
 * alike, plus the cases found in ElasticJob's and Quartz's own documentation.
 */
const SECONDS = ['0', '30', '0/15', '*/20', '5-10', '0,30', '50-10', '0/60', '*'];
const MINUTES = ['*', '0', '0/5', '15,45', '10-20', '50-10', '*/7', '0,0,30', '59'];
const HOURS = ['*', '0', '9-17', '22-2', '*/6', '12', '23', '10-12/2', '0/25'];
const DAYS_OF_MONTH = ['*', '?', '1', '15', 'L', 'L-2', '15W', 'LW', '1W', '1-15', '31', '30', '1/10', '28-3'];
const MONTHS = ['*', '1', '2', 'JAN-MAR', 'NOV-FEB', '*/3', '12', 'FEB', '2,4,6'];
const DAYS_OF_WEEK = [
  '?',
  '*',
  'MON-FRI',
  '1',
  '7',
  '6L',
  '2#1',
  'SAT,SUN',
  '*/2',
  '2/2',
  'MON/2',
  'FRI-MON',
  '1-7',
  'L',
];
const YEARS = [undefined, '2026-2030', '2027', '2026/2'];

/** The corpus: documented examples first, then the combinations (a fixed pseudo-random walk over the fields). */
export function cronCorpus(size = 3200): string[] {
  const documented = [
    '0 0 12 * * ?',
    '0 15 10 ? * *',
    '0 15 10 * * ?',
    '0 15 10 * * ? *',
    '0 15 10 * * ? 2027',
    '0 * 14 * * ?',
    '0 0/5 14 * * ?',
    '0 0/5 14,18 * * ?',
    '0 0-5 14 * * ?',
    '0 10,44 14 ? 3 WED',
    '0 15 10 ? * MON-FRI',
    '0 15 10 15 * ?',
    '0 15 10 L * ?',
    '0 15 10 L-2 * ?',
    '0 15 10 ? * 6L',
    '0 15 10 ? * 6L 2026-2028',
    '0 15 10 ? * 6#3',
    '0 0 12 1/5 * ?',
    '0 11 11 11 11 ?',
    '0/5 * * * * ?',
    '* * * * * ?',
    '0 0 22-2 * * ?',
    '0 0 0 ? * FRI-MON',
    '0 0 0 1 NOV-FEB ?',
    '0 0 0 ? * 2/2',
    '0 0 0 ? * MON/2',
    '0 0 0 30 2 ?',
    '0 0 0 15W * ?',
    '0 0 0 LW * ?',
    '0 0 0 ? * *',
    '0 0 0 * * *',
    '0 0 0 ? * ?',
    '? 0 0 * * ?',
    '0/60 * * * * ?',
    '* * * * *',
    '*/5 * * * *',
    '30 9 * * 1-5',
    '0 0 2 * * ?',
    '0 30 2 * * ?',
    '0 0 1-3 * * ?',
    '0 30 1 * * ?',
    '0 0 0 29 2 ?',
  ];
  const result = new Set(documented);
  let seed = 20261201;
  const pick = <T>(values: readonly T[]): T => {
    // mulberry32: a fixed pseudo-random walk, the same corpus on every run.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return values[((t ^ (t >>> 14)) >>> 0) % values.length];
  };
  while (result.size < size) {
    // Mostly one of the two day fields `?`, as Quartz requires; the rest tests that it does.
    const dayForm = pick([0, 0, 0, 0, 1, 1, 1, 1, 2]);
    const dom = dayForm === 1 ? '?' : pick(DAYS_OF_MONTH);
    const dow = dayForm === 0 ? '?' : pick(DAYS_OF_WEEK);
    const fields = [pick(SECONDS), pick(MINUTES), pick(HOURS), dom, pick(MONTHS), dow];
    const year = pick(YEARS);
    result.add([...fields, ...(year ? [year] : [])].join(' '));
  }
  return [...result];
}

/** The zones of the test: DST in both hemispheres, a half-hour DST, none, and a Java offset id. */
export const CRON_ZONES = [
  'Australia/Lord_Howe',
  'America/New_York',
  'Europe/Berlin',
  'Asia/Shanghai',
  'UTC',
  'GMT+08:00',
];

/** Start times around DST changes, month ends, a leap day and a year end (UTC epoch ms). */
export const CRON_STARTS = [
  '2026-03-08T06:59:30Z', // New York springs forward (07:00 UTC)
  '2026-04-04T14:59:00Z', // Lord Howe's DST ends (15:00 UTC, 30 min back)
  '2026-10-25T00:59:30Z', // Berlin falls back (01:00 UTC)
  '2026-01-31T23:59:59Z', // a month end
  '2028-02-28T23:00:00Z', // before a leap day
  '2026-12-31T23:59:30Z', // a year end
].map((iso) => Date.parse(iso));
