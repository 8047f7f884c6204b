import type { JobStatusTraceEvent } from '../executor';
import { logger } from '../elastic-job.logger';
import { TraceQueue } from './trace-queue';
import type { TraceEvent } from './trace-rows';

const row = (n: number): JobStatusTraceEvent => ({
  kind: 'status',
  jobName: 'job',
  taskId: `row-${n}`,
  instanceId: '10.0.0.1@-@1',
  shardingItems: [0],
  executionSource: 'NORMAL_TRIGGER',
  state: 'TASK_RUNNING',
  message: '',
  time: n,
});
const ids = (events: readonly TraceEvent[]) => events.map((e) => e.taskId);

/** A writer that records its batches and fails while `down` is set. */
function writer() {
  const batches: string[][] = [];
  const state = { down: false, calls: 0 };
  const write = async (rows: readonly TraceEvent[]) => {
    state.calls++;
    if (state.down) {
      throw new Error('connection refused');
    }
    batches.push(ids(rows));
  };
  return { batches, state, write };
}

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('TraceQueue', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes in order, in batches of at most batchSize', async () => {
    const { batches, write } = writer();
    const queue = new TraceQueue(write, { capacity: 100, batchSize: 3, flushIntervalMs: 5 });
    for (let n = 1; n <= 7; n++) {
      queue.push(row(n));
    }
    await until(() => queue.stats.written === 7);
    expect(batches.flat()).toEqual(['row-1', 'row-2', 'row-3', 'row-4', 'row-5', 'row-6', 'row-7']);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(queue.stats).toEqual({ queued: 0, dropped: 0, written: 7, reachable: true });
  });

  it('keeps a failed batch at the head and writes it again, once, when the database is back', async () => {
    const { batches, state, write } = writer();
    const queue = new TraceQueue(write, { capacity: 100, batchSize: 2, flushIntervalMs: 1 });
    state.down = true;
    queue.push(row(1));
    queue.push(row(2));
    queue.push(row(3));
    await until(() => state.calls >= 2);
    expect(queue.stats).toMatchObject({ queued: 3, reachable: false });
    state.down = false;
    await until(() => queue.stats.written === 3);
    expect(batches.flat()).toEqual(['row-1', 'row-2', 'row-3']);
    expect(queue.stats.reachable).toBe(true);
    // One warning for the failures however many retries there were.
    expect(warn.mock.calls.filter(([m]) => String(m).includes('could not write'))).toHaveLength(1);
  });

  it('full: drops the oldest rows, counts them, warns once a minute', async () => {
    let now = 0;
    const { batches, state, write } = writer();
    const queue = new TraceQueue(write, { capacity: 3, batchSize: 10, flushIntervalMs: 1, now: () => now });
    state.down = true;
    for (let n = 1; n <= 5; n++) {
      queue.push(row(n));
    }
    expect(queue.stats).toMatchObject({ queued: 3, dropped: 2 });
    const drops = () => warn.mock.calls.filter(([m]) => String(m).includes('queue is full'));
    expect(drops()).toHaveLength(1);
    now += 60_000;
    queue.push(row(6));
    expect(drops()).toHaveLength(2);
    expect(drops()[1][0]).toContain('2 oldest event(s) dropped since the last warning, 3 in all');
    state.down = false;
    await until(() => queue.stats.queued === 0);
    expect(batches.flat()).toEqual(['row-4', 'row-5', 'row-6']);
  });

  it('close writes what is queued, and says how many rows it could not', async () => {
    const { state, write } = writer();
    const queue = new TraceQueue(write, { capacity: 100, batchSize: 10, flushIntervalMs: 60_000 });
    queue.push(row(1));
    expect(await queue.close(1000)).toBe(0);
    expect(queue.stats.written).toBe(1);
    const stuck = new TraceQueue(write, { capacity: 100, batchSize: 10, flushIntervalMs: 60_000 });
    state.down = true;
    stuck.push(row(2));
    expect(await stuck.close(100)).toBe(1);
  });
});
