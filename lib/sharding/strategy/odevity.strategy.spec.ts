import { expectCompleteAssignment, instanceIds } from '../../../test/support/sharding-assertions';
import { javaStringHashCode } from './java-string-hash';
import { OdevityShardingStrategy } from './odevity.strategy';

/** Expected values in the first block are ElasticJob's published test cases (OdevitySortByNameJobShardingStrategyTest.java). */
describe('OdevityShardingStrategy', () => {
  const strategy = new OdevityShardingStrategy();
  const hosts = ['host0@-@0', 'host1@-@0', 'host2@-@0'];

  it('has the type ODEVITY', () => {
    expect(strategy.type).toBe('ODEVITY');
  });

  describe("ElasticJob's vectors (OdevitySortByNameJobShardingStrategyTest.java)", () => {
    it('assertShardingByAsc: job "1" (hashCode 49, odd) keeps the order', () => {
      expect(javaStringHashCode('1')).toBe(49);
      expect([...strategy.sharding(hosts, '1', 2)]).toEqual([
        ['host0@-@0', [0]],
        ['host1@-@0', [1]],
        ['host2@-@0', []],
      ]);
    });

    it('assertShardingByDesc: job "0" (hashCode 48, even) reverses the order', () => {
      expect(javaStringHashCode('0')).toBe(48);
      expect([...strategy.sharding(hosts, '0', 2)]).toEqual([
        ['host2@-@0', [0]],
        ['host1@-@0', [1]],
        ['host0@-@0', []],
      ]);
    });
  });

  it('reverses for negative even hashes and keeps the order for negative odd ones', () => {
    // 'test_job' hashes to -1146456432 (even), 'a-very-long-...' to -905033203 (odd), 'polygenelubricants' to -2^31.
    expect([...strategy.sharding(hosts, 'test_job', 3).keys()]).toEqual([...hosts].reverse());
    expect([...strategy.sharding(hosts, 'polygenelubricants', 3).keys()]).toEqual([...hosts].reverse());
    expect([...strategy.sharding(hosts, 'a-very-long-job-name-that-overflows-int32-many-times', 3).keys()]).toEqual(
      hosts,
    );
  });

  it('reverses for the empty job name (hashCode 0)', () => {
    expect([...strategy.sharding(['a', 'b'], '', 3)]).toEqual([
      ['b', [0, 2]],
      ['a', [1]],
    ]);
  });

  it('gives an empty map for no instances', () => {
    expect(strategy.sharding([], '0', 3)).toEqual(new Map());
  });

  it('does not modify its input (ElasticJob reverses the list in place)', () => {
    const instances = ['host0@-@0', 'host1@-@0'];
    strategy.sharding(instances, '0', 4);
    expect(instances).toEqual(['host0@-@0', 'host1@-@0']);
  });

  it('assigns every item exactly once, ascending, for totals 1..20 and 1..7 instances', () => {
    for (const jobName of ['0', '1', 'test_job', 'order-report-job']) {
      for (let n = 1; n <= 7; n++) {
        const instances = instanceIds(n);
        for (let total = 1; total <= 20; total++) {
          expectCompleteAssignment(strategy.sharding(instances, jobName, total), instances, total);
        }
      }
    }
  });
});
