import type { ElasticJobListener, ResolvedJobConfiguration, ShardingContexts } from '../interfaces';
import { DistributeOnceJobListener } from './distribute-once-job-listener';
import { listenerHooks } from './listener-hooks';

const calls: string[] = [];
const listener = (name: string, order?: number): ElasticJobListener => ({
  order,
  beforeJobExecuted: () => calls.push(`${name}.before`),
  afterJobExecuted: () => calls.push(`${name}.after`),
});
class Once extends DistributeOnceJobListener {
  doBeforeJobExecutedAtLastStarted() {}
  doAfterJobExecutedAtLastCompleted() {}
}
const config = (jobListenerTypes: string[]) => ({ name: 'j', jobListenerTypes }) as unknown as ResolvedJobConfiguration;
const contexts = {} as ShardingContexts;

describe('the hooks of a job from its listener types', () => {
  const listeners = new Map<string, ElasticJobListener>([
    ['a', listener('a')],
    ['b', listener('b', 2)],
    ['c', listener('c', 1)],
    ['d', listener('d')],
    ['once', new Once()],
  ]);

  beforeEach(() => calls.splice(0));

  it('orders by `order`, then keeps the order of the types; unknown types are skipped', () => {
    const hooks = listenerHooks('j', listeners, () => ({}))(config(['d', 'b', 'ghost', 'a', 'c']));
    hooks.forEach((hook) => hook.beforeExecution?.(contexts));
    expect(calls).toEqual(['c.before', 'b.before', 'd.before', 'a.before']);
  });

  it('is the same array while the types do not change, and empty without types', () => {
    const hooksOf = listenerHooks('j', listeners, () => ({}));
    const types = ['a', 'b'];
    expect(hooksOf(config(types))).toBe(hooksOf(config(types)));
    expect(hooksOf(config(['a']))).not.toBe(hooksOf(config(types)));
    expect(hooksOf(config([]))).toHaveLength(0);
  });

  it('hands distribute-once listeners to their coordination, and calls no per-instance method of theirs', () => {
    const coordinated: unknown[] = [];
    const hooks = listenerHooks('j', listeners, (once) => {
      coordinated.push(once);
      return { beforeExecution: () => calls.push('once.coordinated') };
    })(config(['once', 'a']));
    hooks.forEach((hook) => hook.beforeExecution?.(contexts));
    expect(coordinated).toEqual([listeners.get('once')]);
    expect(calls).toEqual(['once.coordinated', 'a.before']);
  });
});
