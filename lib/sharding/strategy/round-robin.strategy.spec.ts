import { expectCompleteAssignment, instanceIds } from '../../../test/support/sharding-assertions';
import { javaStringHashCode } from './java-string-hash';
import { RoundRobinShardingStrategy } from './round-robin.strategy';

/** Expected values in the first block are ElasticJob's published test cases (RotateServerByNameJobShardingStrategyTest.java). */
describe('RoundRobinShardingStrategy', () => {
  const strategy = new RoundRobinShardingStrategy();
  const hosts = ['host0@-@0', 'host1@-@0', 'host2@-@0'];

  it('has the type ROUND_ROBIN', () => {
    expect(strategy.type).toBe('ROUND_ROBIN');
  });

  describe("ElasticJob's vectors (RotateServerByNameJobShardingStrategyTest.java)", () => {
    it('assertSharding1: job "1" (49 % 3 = 1) starts at host1', () => {
      expect([...strategy.sharding(hosts, '1', 2)]).toEqual([
        ['host1@-@0', [0]],
        ['host2@-@0', [1]],
        ['host0@-@0', []],
      ]);
    });

    it('assertSharding2: job "2" (50 % 3 = 2) starts at host2', () => {
      expect([...strategy.sharding(hosts, '2', 2)]).toEqual([
        ['host2@-@0', [0]],
        ['host0@-@0', [1]],
        ['host1@-@0', []],
      ]);
    });

    it('assertSharding3: job "3" (51 % 3 = 0) keeps the order', () => {
      expect([...strategy.sharding(hosts, '3', 2)]).toEqual([
        ['host0@-@0', [0]],
        ['host1@-@0', [1]],
        ['host2@-@0', []],
      ]);
    });
  });

  it('rotates by abs(hashCode) % n for a negative hash', () => {
    // 'test_job' hashes to -1146456432; 1146456432 % 5 = 2.
    expect(javaStringHashCode('test_job')).toBe(-1146456432);
    expect([...strategy.sharding(['a', 'b', 'c', 'd', 'e'], 'test_job', 5)]).toEqual([
      ['c', [0]],
      ['d', [1]],
      ['e', [2]],
      ['a', [3]],
      ['b', [4]],
    ]);
  });

  describe('a job name whose hashCode is Integer.MIN_VALUE', () => {
    const jobName = 'polygenelubricants';

    it('keeps the order for 1, 2, 4 and 8 instances, as Java does (Math.abs(MIN_VALUE) % 2^k is 0)', () => {
      expect(javaStringHashCode(jobName)).toBe(-2147483648);
      for (const n of [1, 2, 4, 8]) {
        const instances = Array.from({ length: n }, (_, i) => `h${i}`);
        expect([...strategy.sharding(instances, jobName, n).keys()]).toEqual(instances);
      }
    });

    it('rotates by 2^31 % n otherwise, where Java throws IndexOutOfBoundsException', () => {
      // 2^31 % 3 = 2
      expect([...strategy.sharding(hosts, jobName, 3)]).toEqual([
        ['host2@-@0', [0]],
        ['host0@-@0', [1]],
        ['host1@-@0', [2]],
      ]);
    });
  });

  it('gives an empty map for no instances', () => {
    expect(strategy.sharding([], '1', 3)).toEqual(new Map());
  });

  it('does not modify its input', () => {
    const instances = Object.freeze([...hosts]);
    strategy.sharding(instances, '1', 4);
    expect(instances).toEqual(hosts);
  });

  it('assigns every item exactly once, ascending, for totals 1..20 and 1..7 instances', () => {
    for (const jobName of ['1', '2', 'test_job', 'polygenelubricants']) {
      for (let n = 1; n <= 7; n++) {
        const instances = instanceIds(n);
        for (let total = 1; total <= 20; total++) {
          expectCompleteAssignment(strategy.sharding(instances, jobName, total), instances, total);
        }
      }
    }
  });
});
