import { JobConfigurationError } from '../errors';
import { parseShardingItemParameters } from './sharding-item-parameters.parser';

const JOB = 'cityJob';

function parseError(text: string, shardingTotalCount: number): JobConfigurationError {
  try {
    parseShardingItemParameters(JOB, text, shardingTotalCount);
  } catch (error) {
    expect(error).toBeInstanceOf(JobConfigurationError);
    return error as JobConfigurationError;
  }
  throw new Error(`expected a JobConfigurationError for ${JSON.stringify(text)}`);
}

describe('parseShardingItemParameters', () => {
  it('parses item=parameter pairs', () => {
    expect(parseShardingItemParameters(JOB, '0=Beijing,1=Shanghai', 2)).toEqual(
      new Map([
        [0, 'Beijing'],
        [1, 'Shanghai'],
      ]),
    );
  });

  it('allows a subset of the items, in any order', () => {
    expect(parseShardingItemParameters(JOB, '2=Guangzhou,0=Beijing', 3)).toEqual(
      new Map([
        [2, 'Guangzhou'],
        [0, 'Beijing'],
      ]),
    );
  });

  it('trims spaces around pairs, items and parameters', () => {
    expect(parseShardingItemParameters(JOB, ' 0 = Beijing , 1=  Shanghai  ', 2)).toEqual(
      new Map([
        [0, 'Beijing'],
        [1, 'Shanghai'],
      ]),
    );
  });

  it('keeps "=" inside a parameter', () => {
    expect(parseShardingItemParameters(JOB, '0=a=b,1=key=value=', 2)).toEqual(
      new Map([
        [0, 'a=b'],
        [1, 'key=value='],
      ]),
    );
  });

  it('accepts an empty parameter', () => {
    expect(parseShardingItemParameters(JOB, '0=', 1)).toEqual(new Map([[0, '']]));
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('returns an empty map for %s text', (_label, text) => {
    const result = parseShardingItemParameters(JOB, text, 3);
    expect(result).toBeInstanceOf(Map);
    expect(result.size).toBe(0);
  });

  it.each<[string, string, number, RegExp]>([
    ['a non-integer item', '0=a,x=b', 2, /item "x" is not a non-negative integer/],
    ['a negative item', '-1=a', 2, /item "-1" is not a non-negative integer/],
    ['a fractional item', '1.5=a', 2, /item "1.5" is not a non-negative integer/],
    ['an item given twice', '0=a,0=b', 2, /item 0 is given twice/],
    ['the same item written two ways', '1=a,01=b', 2, /item 1 is given twice/],
    ['an item out of range', '5=a', 3, /item 5 is out of range 0\.\.2/],
    ['the item equal to shardingTotalCount', '3=a', 3, /item 3 is out of range/],
    ['a pair without "="', 'a', 3, /"a" is not of the form item=parameter/],
    ['a pair without item', '=a', 3, /"=a" is not of the form item=parameter/],
    ['an empty pair', '0=a,,1=b', 3, /"" is not of the form item=parameter/],
  ])('rejects %s', (_label, text, total, reason) => {
    const error = parseError(text, total);
    expect(error.jobName).toBe(JOB);
    expect(error.field).toBe('shardingItemParameters');
    expect(error.message).toContain(`Job "${JOB}": invalid "shardingItemParameters" ${JSON.stringify(text)}`);
    expect(error.message).toMatch(reason);
  });
});
