import { AverageAllocationShardingStrategy } from './average-allocation.strategy';

/** Expected values in the first block are ElasticJob's published test cases (AverageAllocationJobShardingStrategyTest.java). */
describe('AverageAllocationShardingStrategy', () => {
  const strategy = new AverageAllocationShardingStrategy();
  const hosts = ['host0@-@0', 'host1@-@0', 'host2@-@0'];

  it('has the type AVG_ALLOCATION', () => {
    expect(strategy.type).toBe('AVG_ALLOCATION');
  });

  describe("ElasticJob's vectors (AverageAllocationJobShardingStrategyTest.java)", () => {
    it('shardingForZeroServer: no instances, 3 items -> empty map', () => {
      expect(strategy.sharding([], 'test_job', 3)).toEqual(new Map());
    });

    it('shardingForOneServer: 1 instance, 3 items', () => {
      expect([...strategy.sharding(['host0@-@0'], 'test_job', 3)]).toEqual([['host0@-@0', [0, 1, 2]]]);
    });

    it('shardingForServersMoreThanShardingCount: 3 instances, 2 items (the third instance gets [])', () => {
      expect([...strategy.sharding(hosts, 'test_job', 2)]).toEqual([
        ['host0@-@0', [0]],
        ['host1@-@0', [1]],
        ['host2@-@0', []],
      ]);
    });

    it('shardingForServersLessThanShardingCountAliquot: 3 instances, 9 items', () => {
      expect([...strategy.sharding(hosts, 'test_job', 9)]).toEqual([
        ['host0@-@0', [0, 1, 2]],
        ['host1@-@0', [3, 4, 5]],
        ['host2@-@0', [6, 7, 8]],
      ]);
    });

    it('shardingForServersLessThanShardingCountAliquantFor8ShardingCountAnd3Servers', () => {
      expect([...strategy.sharding(hosts, 'test_job', 8)]).toEqual([
        ['host0@-@0', [0, 1, 6]],
        ['host1@-@0', [2, 3, 7]],
        ['host2@-@0', [4, 5]],
      ]);
    });

    it('shardingForServersLessThanShardingCountAliquantFor10ShardingCountAnd3Servers', () => {
      expect([...strategy.sharding(hosts, 'test_job', 10)]).toEqual([
        ['host0@-@0', [0, 1, 2, 9]],
        ['host1@-@0', [3, 4, 5]],
        ['host2@-@0', [6, 7, 8]],
      ]);
    });
  });

  it('gives 10 items over [a, b, c] as [0,1,2,9] [3,4,5] [6,7,8]', () => {
    expect([...strategy.sharding(['a', 'b', 'c'], 'any', 10)]).toEqual([
      ['a', [0, 1, 2, 9]],
      ['b', [3, 4, 5]],
      ['c', [6, 7, 8]],
    ]);
  });

  it('ignores the job name', () => {
    expect(strategy.sharding(hosts, 'one', 7)).toEqual(strategy.sharding(hosts, 'another', 7));
  });

  it('gives every instance [] for 0 items', () => {
    expect([...strategy.sharding(['a', 'b'], 'job', 0)]).toEqual([
      ['a', []],
      ['b', []],
    ]);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the item count %p', (total) => {
    expect(() => strategy.sharding(hosts, 'job', total)).toThrow(RangeError);
  });

  it('does not modify its input', () => {
    const instances = Object.freeze(['b', 'a']);
    strategy.sharding(instances, 'job', 5);
    expect(instances).toEqual(['b', 'a']);
  });

  it('assigns every item exactly once, ascending, balanced, for totals 1..20 and 1..7 instances', () => {
    for (let n = 1; n <= 7; n++) {
      const instances = instanceIds(n);
      for (let total = 1; total <= 20; total++) {
        expectCompleteAssignment(strategy.sharding(instances, 'test_job', total), instances, total);
      }
    }
  });
});

function instanceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.0.0.${i}@-@${100 + i}`)
    .sort()
    .reverse();
}

function expectCompleteAssignment(result: Map<string, number[]>, instances: readonly string[], total: number): void {
  expect([...result.keys()]).toEqual(instances);
  expect([...result.values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  for (const items of result.values()) {
    expect(items).toEqual([...items].sort((a, b) => a - b));
  }
  const sizes = [...result.values()].map((items) => items.length);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
}
