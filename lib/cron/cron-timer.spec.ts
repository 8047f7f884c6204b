import { ConsoleLogger, Logger } from '@nestjs/common';
import { CompiledCron } from './cron-expression';
import { CronTimer } from './cron-timer';
import { MinHeap } from './min-heap';

/** A deterministic pseudo-random generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('MinHeap', () => {
  it('is empty at first', () => {
    const heap = new MinHeap<number>((n) => n);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it.each([1, 2, 3, 42])('pops random input in ascending order (seed %i)', (seed) => {
    const next = random(seed);
    const values = Array.from({ length: 500 }, () => Math.floor(next() * 100));
    const sorted = [...values].sort((a, b) => a - b);
    const heap = new MinHeap<number>((n) => n);
    values.forEach((value) => heap.push(value));
    expect(heap.size).toBe(values.length);
    const popped: number[] = [];
    while (heap.size > 0) {
      expect(heap.peek()).toBe(sorted[popped.length]);
      popped.push(heap.pop()!);
    }
    expect(popped).toEqual(sorted);
    expect(heap.pop()).toBeUndefined();
  });

  it('keeps order under interleaved pushes and pops', () => {
    const next = random(7);
    const heap = new MinHeap<{ at: number }>((item) => item.at);
    const reference: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      if (reference.length > 0 && next() < 0.4) {
        reference.sort((a, b) => a - b);
        expect(heap.pop()!.at).toBe(reference.shift());
      } else {
        const at = Math.floor(next() * 1_000);
        heap.push({ at });
        reference.push(at);
      }
      expect(heap.size).toBe(reference.length);
    }
  });

  it('orders by the priority function, not by the items', () => {
    const heap = new MinHeap<string>((s) => s.length);
    ['ccc', 'a', 'dddd', 'bb'].forEach((s) => heap.push(s));
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual(['a', 'bb', 'ccc', 'dddd']);
  });
});

describe('CronTimer', () => {
  // A multiple of 100 ms plus 30 ms, so that fires (every 100 ms) fall at START - 30 + 100, + 200, ...
  const START = Date.UTC(2024, 0, 1, 10, 0, 0, 30);
  const FIRST = START - 30 + 100;
  let scheduler: CronTimer;

  /** A schedule that fires every 100 ms; with `last`, it ends after that fire time. */
  function every100ms(key: string, last = Infinity): CompiledCron & { next: jest.Mock } {
    return {
      key,
      next: jest.fn((after: number) => {
        const next = after - (after % 100) + 100;
        return next > last ? null : next;
      }),
    };
  }

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    scheduler = new CronTimer();
  });

  afterEach(() => {
    scheduler.stop();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('puts tasks with the same key in one group and different keys in different groups', () => {
    scheduler.add(every100ms('a'), jest.fn());
    scheduler.add(every100ms('a'), jest.fn());
    expect(scheduler.groupCount).toBe(1);
    scheduler.add(every100ms('b'), jest.fn());
    expect(scheduler.groupCount).toBe(2);
  });

  it('computes the next fire time once per group, not once per task', () => {
    const first = every100ms('a');
    const second = every100ms('a');
    scheduler.add(first, jest.fn());
    scheduler.add(second, jest.fn());
    scheduler.start();
    jest.advanceTimersByTime(250);
    expect(second.next).not.toHaveBeenCalled();
    // Once when added, once per fire.
    expect(first.next).toHaveBeenCalledTimes(3);
  });

  it('calls every task at each fire with the scheduled fire time', () => {
    const first = jest.fn();
    const second = jest.fn();
    scheduler.add(every100ms('a'), first);
    scheduler.add(every100ms('a'), second);
    scheduler.start();
    jest.advanceTimersByTime(69);
    expect(first).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(first.mock.calls).toEqual([[FIRST, false]]);
    jest.advanceTimersByTime(200);
    expect(first.mock.calls).toEqual([
      [FIRST, false],
      [FIRST + 100, false],
      [FIRST + 200, false],
    ]);
    expect(second.mock.calls).toEqual(first.mock.calls);
  });

  it('fires groups with different schedules each at their own times, in time order', () => {
    const calls: string[] = [];
    const every250ms: CompiledCron = { key: 'slow', next: (after) => after - (after % 250) + 250 };
    scheduler.add(every250ms, (time) => calls.push(`slow@${time - START + 30}`));
    scheduler.add(every100ms('fast'), (time) => calls.push(`fast@${time - START + 30}`));
    scheduler.start();
    jest.advanceTimersByTime(450 - 30);
    expect(calls).toEqual(['fast@100', 'fast@200', 'slow@250', 'fast@300', 'fast@400']);
  });

  it('does not fire before start()', () => {
    const task = jest.fn();
    scheduler.add(every100ms('a'), task);
    jest.advanceTimersByTime(1_000);
    expect(task).not.toHaveBeenCalled();
    scheduler.start();
    jest.advanceTimersByTime(100);
    expect(task).toHaveBeenCalled();
  });

  it('no longer calls a removed task', () => {
    const removed = jest.fn();
    const kept = jest.fn();
    const remove = scheduler.add(every100ms('a'), removed);
    scheduler.add(every100ms('a'), kept);
    scheduler.start();
    jest.advanceTimersByTime(70);
    expect(removed).toHaveBeenCalledTimes(1);
    remove();
    jest.advanceTimersByTime(300);
    expect(removed).toHaveBeenCalledTimes(1);
    expect(kept).toHaveBeenCalledTimes(4);
    expect(scheduler.groupCount).toBe(1);
  });

  it('drops a group when its last task is removed, and can start it again', () => {
    const removed = jest.fn();
    const remove = scheduler.add(every100ms('a'), removed);
    scheduler.start();
    remove();
    expect(scheduler.groupCount).toBe(0);
    jest.advanceTimersByTime(300);
    expect(removed).not.toHaveBeenCalled();
    const added = jest.fn();
    scheduler.add(every100ms('a'), added);
    expect(scheduler.groupCount).toBe(1);
    jest.advanceTimersByTime(100);
    expect(added).toHaveBeenCalledTimes(1);
  });

  it('keeps calling the other tasks when one throws, and logs the error', () => {
    const logged = jest.spyOn(Logger.prototype, 'error');
    const failing = jest.fn(() => {
      throw new Error('boom');
    });
    const healthy = jest.fn();
    scheduler.add(every100ms('a'), failing);
    scheduler.add(every100ms('a'), healthy);
    scheduler.add(every100ms('b'), healthy);
    scheduler.start();
    jest.advanceTimersByTime(170);
    expect(failing).toHaveBeenCalledTimes(2);
    expect(healthy).toHaveBeenCalledTimes(4);
    expect(logged).toHaveBeenCalledTimes(2);
    expect(logged.mock.calls[0][0]).toContain('boom');
  });

  it('collapses fires missed while the process was blocked into one call, flagged, with the latest of them', () => {
    const task = jest.fn();
    scheduler.add(every100ms('a'), task);
    scheduler.start();
    jest.advanceTimersByTime(70);
    expect(task.mock.calls).toEqual([[FIRST, false]]);
    // The event loop is blocked for 1.5 s: the next timer runs late, after 15 more fire times went by.
    jest.setSystemTime(Date.now() + 1_500);
    jest.advanceTimersByTime(100);
    expect(task.mock.calls).toEqual([
      [FIRST, false],
      [FIRST + 1_600, true],
    ]);
    jest.advanceTimersByTime(100);
    expect(task.mock.calls[2]).toEqual([FIRST + 1_700, false]);
  });

  it('does not flag a timer that is late by less than one second (no cron fires more often)', () => {
    const task = jest.fn();
    scheduler.add(every100ms('a'), task);
    scheduler.start();
    jest.setSystemTime(Date.now() + 880);
    jest.advanceTimersByTime(70);
    expect(task.mock.calls).toEqual([[FIRST, false]]);
  });

  it('stops firing after stop()', () => {
    const task = jest.fn();
    scheduler.add(every100ms('a'), task);
    scheduler.start();
    jest.advanceTimersByTime(70);
    expect(task).toHaveBeenCalledTimes(1);
    scheduler.stop();
    jest.advanceTimersByTime(1_000);
    expect(task).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends a group whose next() returns null', () => {
    const task = jest.fn();
    const cron = every100ms('ending', FIRST + 100);
    scheduler.add(cron, task);
    scheduler.start();
    jest.advanceTimersByTime(1_000);
    expect(task.mock.calls).toEqual([
      [FIRST, false],
      [FIRST + 100, false],
    ]);
    expect(scheduler.groupCount).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never queues a group whose first next() is null', () => {
    const task = jest.fn();
    scheduler.add(every100ms('never', START - 1), task);
    scheduler.start();
    jest.advanceTimersByTime(1_000);
    expect(task).not.toHaveBeenCalled();
    expect(scheduler.groupCount).toBe(0);
  });
});
