import { compileCron, CronSyntaxError, latestFireBetween } from './cron-expression';
import { normalizeTimeZone } from './time-zone';

/** Fire time of `cron` (in `zone`, UTC unless given) strictly after `after`, as an ISO string. */
function nextFire(cron: string, after: number, zone = 'UTC'): string | null {
  const next = compileCron(cron, zone).next(after);
  return next === null ? null : new Date(next).toISOString();
}

// 2024-01-01 is a Monday.
const MONDAY = Date.UTC(2024, 0, 1);
const WEDNESDAY = Date.UTC(2024, 0, 3);

describe('compileCron', () => {
  describe('Quartz seconds', () => {
    it('gives the next multiple of 5 s for 0/5', () => {
      expect(nextFire('0/5 * * * * ?', Date.UTC(2024, 0, 1, 10, 0, 3, 250))).toBe('2024-01-01T10:00:05.000Z');
    });

    it('is strictly after a base time that is itself a fire time', () => {
      expect(nextFire('0/5 * * * * ?', Date.UTC(2024, 0, 1, 10, 0, 5))).toBe('2024-01-01T10:00:10.000Z');
    });

    it('is strictly after a base time just past a fire time', () => {
      expect(nextFire('0/5 * * * * ?', Date.UTC(2024, 0, 1, 10, 0, 5, 1))).toBe('2024-01-01T10:00:10.000Z');
    });

    it('is the fire time a millisecond later', () => {
      expect(nextFire('0/5 * * * * ?', Date.UTC(2024, 0, 1, 10, 0, 4, 999))).toBe('2024-01-01T10:00:05.000Z');
    });

    it('rolls over to the next minute', () => {
      expect(nextFire('0/5 * * * * ?', Date.UTC(2024, 0, 1, 10, 0, 57))).toBe('2024-01-01T10:01:00.000Z');
    });

    it('yields successive fires when fed its own results', () => {
      const cron = compileCron('0/5 * * * * ?', 'UTC');
      const fires: number[] = [];
      let after = Date.UTC(2024, 0, 1, 10, 0, 1);
      for (let i = 0; i < 4; i++) {
        after = cron.next(after)!;
        fires.push(after);
      }
      expect(fires).toEqual([5, 10, 15, 20].map((s) => Date.UTC(2024, 0, 1, 10, 0, s)));
    });
  });

  describe('Quartz day-of-week (1=SUN .. 7=SAT)', () => {
    it('reads 2 as Monday', () => {
      expect(nextFire('0 0 9 ? * 2', WEDNESDAY)).toBe('2024-01-08T09:00:00.000Z');
    });

    it('reads 1 as Sunday and 7 as Saturday', () => {
      expect(nextFire('0 0 9 ? * 1', WEDNESDAY)).toBe('2024-01-07T09:00:00.000Z');
      expect(nextFire('0 0 9 ? * 7', WEDNESDAY)).toBe('2024-01-06T09:00:00.000Z');
    });

    it('reads MON-FRI as weekdays, skipping the weekend', () => {
      // Friday 2024-01-05 10:00, after that day's 09:00 fire.
      expect(nextFire('0 0 9 ? * MON-FRI', Date.UTC(2024, 0, 5, 10))).toBe('2024-01-08T09:00:00.000Z');
      expect(nextFire('0 0 9 ? * MON-FRI', Date.UTC(2024, 0, 2, 10))).toBe('2024-01-03T09:00:00.000Z');
    });

    it('reads the numeric range 2-6 as MON-FRI', () => {
      expect(nextFire('0 0 9 ? * 2-6', Date.UTC(2024, 0, 5, 10))).toBe('2024-01-08T09:00:00.000Z');
    });

    it('reads 6#3 as the third Friday of the month', () => {
      expect(nextFire('0 0 9 ? * 6#3', MONDAY)).toBe('2024-01-19T09:00:00.000Z');
      expect(nextFire('0 0 9 ? * 6#3', Date.UTC(2024, 0, 20))).toBe('2024-02-16T09:00:00.000Z');
    });
  });

  describe('Quartz day-of-month', () => {
    it('reads L as the last day of the month', () => {
      expect(nextFire('0 0 0 L * ?', Date.UTC(2024, 1, 10))).toBe('2024-02-29T00:00:00.000Z');
      expect(nextFire('0 0 0 L * ?', Date.UTC(2023, 1, 10))).toBe('2023-02-28T00:00:00.000Z');
    });

    it('reads a day with day-of-week ? as that day of every month', () => {
      expect(nextFire('0 30 8 15 * ?', Date.UTC(2024, 0, 16))).toBe('2024-02-15T08:30:00.000Z');
    });
  });

  describe('Unix 5-field expressions', () => {
    it('reads "30 9 * * 1" as Monday 09:30 (0=SUN)', () => {
      expect(nextFire('30 9 * * 1', WEDNESDAY)).toBe('2024-01-08T09:30:00.000Z');
    });

    it('fires on the minute', () => {
      expect(nextFire('*/5 * * * *', Date.UTC(2024, 0, 1, 10, 2, 30))).toBe('2024-01-01T10:05:00.000Z');
    });
  });

  describe('year field', () => {
    it('fires in the given year', () => {
      expect(nextFire('0 0 0 1 1 ? 2030', MONDAY)).toBe('2030-01-01T00:00:00.000Z');
    });

    it('gives null once the year has passed', () => {
      expect(nextFire('0 0 0 1 1 ? 2020', MONDAY)).toBeNull();
      expect(nextFire('0 0 0 1 1 ? 2030', Date.UTC(2030, 0, 1))).toBeNull();
    });

    it('accepts a range and a list of years', () => {
      expect(nextFire('0 0 0 1 1 ? 2026-2028', Date.UTC(2026, 0, 1))).toBe('2027-01-01T00:00:00.000Z');
      expect(nextFire('0 0 0 1 1 ? 2025,2031', Date.UTC(2025, 5, 1))).toBe('2031-01-01T00:00:00.000Z');
    });

    it('accepts a step of years', () => {
      expect(nextFire('0 0 0 1 1 ? 2024/4', Date.UTC(2024, 5, 1))).toBe('2028-01-01T00:00:00.000Z');
    });

    it('treats * as every year', () => {
      expect(nextFire('0 0 12 * * ? *', MONDAY)).toBe('2024-01-01T12:00:00.000Z');
    });
  });

  describe('time zones', () => {
    it('fires at 12:00 Asia/Shanghai, i.e. 04:00Z', () => {
      expect(nextFire('0 0 12 * * ?', MONDAY, 'Asia/Shanghai')).toBe('2024-01-01T04:00:00.000Z');
    });

    it('fires at 12:00 GMT+08:00 (normalized), i.e. 04:00Z', () => {
      expect(nextFire('0 0 12 * * ?', MONDAY, normalizeTimeZone('GMT+08:00')!)).toBe('2024-01-01T04:00:00.000Z');
    });

    it('fires at 12:00Z in UTC', () => {
      expect(nextFire('0 0 12 * * ?', MONDAY, 'UTC')).toBe('2024-01-01T12:00:00.000Z');
    });
  });

  describe('key', () => {
    it('is equal for equal expression and zone', () => {
      expect(compileCron('0/5 * * * * ?', 'Asia/Shanghai').key).toBe(compileCron('0/5 * * * * ?', 'Asia/Shanghai').key);
      expect(compileCron('0/5 * * * * ?').key).toBe(compileCron('0/5 * * * * ?').key);
    });

    it('ignores extra white space', () => {
      expect(compileCron('  0/5  *  * * * ? ', 'UTC').key).toBe(compileCron('0/5 * * * * ?', 'UTC').key);
    });

    it('differs across zones', () => {
      const keys = new Set(
        [undefined, 'UTC', 'Asia/Shanghai', 'UTC+08:00'].map((zone) => compileCron('0 0 12 * * ?', zone).key),
      );
      expect(keys.size).toBe(4);
    });

    it('differs across expressions and years', () => {
      expect(compileCron('0 0 12 * * ?', 'UTC').key).not.toBe(compileCron('0 0 13 * * ?', 'UTC').key);
      expect(compileCron('0 0 12 * * ? 2030', 'UTC').key).not.toBe(compileCron('0 0 12 * * ? 2031', 'UTC').key);
    });
  });

  describe('invalid expressions', () => {
    it.each([
      ['an empty expression', '', /empty/],
      ['three fields', 'a b c', /got 3/],
      ['eight fields', '0 0 0 1 1 ? 2030 x', /got 8/],
      ['a second out of range', '61 * * * * ?', /61/],
      ['trailing garbage in day-of-week', '0/5 * * * * ?x', /day-of-week "\?x"/i],
      ['Quartz day-of-week 0', '0 0 12 ? * 0', /out of range 1-7/],
      ['Quartz day-of-week 8', '0 0 12 ? * 8', /out of range 1-7/],
      ['both day fields given', '0 0 12 15 * MON', /exactly one of them must be "\?"/],
      ['neither day field given', '0 0 12 * * *', /exactly one of them must be "\?"/],
      ['a step beyond the field', '0/60 * * * * ?', /the step 60 is beyond the field/],
      ['W with other days', '0 0 12 1,15W * ?', /"L" and "W" cannot be combined/],
      ['a 5-field expression restricting both days', '0 12 15 * 1', /Quartz cannot express/],
      ['a reversed year range', '0 0 0 1 1 ? 2030-2025', /year "2030-2025"/],
    ])('rejects %s', (_label, cron, reason) => {
      expect(() => compileCron(cron)).toThrow(CronSyntaxError);
      expect(() => compileCron(cron)).toThrow(reason);
    });

    it('does not mistake WED for the W modifier', () => {
      expect(nextFire('0 0 9 ? * WED', MONDAY)).toBe('2024-01-03T09:00:00.000Z');
    });
  });
});

describe('normalizeTimeZone', () => {
  it.each([
    ['GMT+08:00', 'UTC+08:00'],
    ['GMT+05:30', 'UTC+05:30'],
    ['GMT-3', 'UTC-03:00'],
    ['gmt+8', 'UTC+08:00'],
    ['GMT', 'UTC'],
    ['UTC', 'UTC'],
    ['Asia/Shanghai', 'Asia/Shanghai'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(normalizeTimeZone(input)).toBe(expected);
  });

  it.each(['Mars/Base', 'GMT+19:00', 'GMT+08:60', 'not a zone'])('gives null for %s', (input) => {
    expect(normalizeTimeZone(input)).toBeNull();
  });
});

describe('compileCron year field in the cron time zone', () => {
  it('takes the year of the fire in the zone of the cron, not in UTC', () => {
    expect(new Date(compileCron('0 0 0 1 1 ? 2030', 'Asia/Shanghai').next(Date.UTC(2024, 0, 3))!).toISOString()).toBe(
      '2029-12-31T16:00:00.000Z',
    );
    expect(
      new Date(compileCron('0 0 20 31 12 ? 2029', 'America/New_York').next(Date.UTC(2024, 0, 3))!).toISOString(),
    ).toBe('2030-01-01T01:00:00.000Z');
  });
});

describe('latestFireBetween', () => {
  const at = (iso: string) => Date.parse(iso);

  it('is the latest fire strictly between the bounds', () => {
    const every10s = compileCron('0/10 * * * * ?', 'UTC');
    expect(latestFireBetween(every10s, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:30Z'))).toBe(
      at('2026-01-01T00:00:20Z'),
    );
    expect(latestFireBetween(every10s, at('2026-01-01T00:00:19.999Z'), at('2026-01-01T00:00:20.001Z'))).toBe(
      at('2026-01-01T00:00:20Z'),
    );
  });

  it('is undefined when no fire lies between them (both bounds excluded)', () => {
    const every10s = compileCron('0/10 * * * * ?', 'UTC');
    expect(latestFireBetween(every10s, at('2026-01-01T00:00:10Z'), at('2026-01-01T00:00:20Z'))).toBeUndefined();
    expect(latestFireBetween(every10s, at('2026-01-01T00:00:21Z'), at('2026-01-01T00:00:22Z'))).toBeUndefined();
  });

  it('finds the latest of a frequent schedule over a long span, and of a sparse one', () => {
    const everySecond = compileCron('* * * * * ?', 'UTC');
    expect(latestFireBetween(everySecond, at('2026-01-01T00:00:00Z'), at('2026-01-03T00:00:00.500Z'))).toBe(
      at('2026-01-03T00:00:00Z'),
    );
    const daily = compileCron('0 0 3 * * ?', 'UTC');
    expect(latestFireBetween(daily, at('2026-01-01T00:00:00Z'), at('2026-01-05T00:00:00Z'))).toBe(
      at('2026-01-04T03:00:00Z'),
    );
  });
});
