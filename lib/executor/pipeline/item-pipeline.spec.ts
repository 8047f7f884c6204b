import type { JobErrorHandler, ResolvedJobConfiguration, ShardingContext } from '../../interfaces';
import { resolveJobConfiguration } from '../../config';
import type { JobFacade } from '../job-facade';
import { dataflowJobExecutor, JobItemExecutor, simpleJobExecutor } from '../job-types';
import { RunState } from '../run-state';
import { ExecutionHook, ShardingContexts } from './execution-hook';
import { ItemPipeline } from './item-pipeline';
import { JobEvent, JobEventBus } from './job-event-bus';

const config: ResolvedJobConfiguration = resolveJobConfiguration(
  { name: 'settle', cron: '0/5 * * * * ?', shardingTotalCount: 3, shardingItemParameters: '0=a,1=b,2=c' },
  { errorHandlerTypes: ['LOG'], shardingStrategyTypes: ['AVG_ALLOCATION'] },
);

/** The facade of an instance that owns every item and runs without `monitorExecution` (no registry involved). */
function fakeFacade(errors: unknown[], overrides: Partial<JobFacade>): JobFacade {
  const parameters = ['a', 'b', 'c'];
  const errorHandler: JobErrorHandler = {
    type: 'RECORD',
    handleException: (_job, error) => void errors.push(error),
  };
  return {
    config,
    instanceId: '10.0.0.1@-@1',
    shardingParameter: (item) => parameters[item] ?? '',
    errorHandler: () => errorHandler,
    sessionId: () => 's',
    assignmentToken: (item) => 100 + item,
    localItems: () => [0, 1, 2],
    ...overrides,
  } as Partial<JobFacade> as JobFacade;
}

function pipeline(
  itemExecutor: JobItemExecutor,
  hooks: ExecutionHook[] = [],
  events = new JobEventBus(),
  overrides: Partial<JobFacade> = {},
) {
  const errors: unknown[] = [];
  const released: number[] = [];
  const facade = fakeFacade(errors, overrides);
  const state = new RunState(facade);
  const run = new ItemPipeline(
    facade,
    state,
    { itemExecutor, hooks: () => hooks, events },
    { release: (item) => released.push(item) },
  );
  return { run, errors, released };
}

describe('the fire pipeline', () => {
  it('runs each item through the job type, synchronously when the handler is, with its parameter and token', () => {
    const seen: ShardingContext[] = [];
    const { run, released } = pipeline(simpleJobExecutor((context) => void seen.push(context)));
    expect(run.run(config, [0, 2], 1_000, 'NORMAL_TRIGGER')).toBeUndefined();
    expect(seen.map((c) => [c.shardingItem, c.shardingParameter, c.fencingToken, c.fireTime])).toEqual([
      [0, 'a', 100, 1_000],
      [2, 'c', 102, 1_000],
    ]);
    expect(seen[0].taskId).toBe('settle@-@0,2@-@READY@-@10.0.0.1@-@1');
    expect(released).toEqual([0, 2]);
  });

  it('calls the hooks in order around the execution: before the first item starts, after the last one ends', async () => {
    const steps: string[] = [];
    let finish!: () => void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    const hook = (name: string): ExecutionHook => ({
      beforeExecution: (contexts: ShardingContexts) => void steps.push(`${name}.before ${contexts.shardingItems}`),
      afterExecution: () => void steps.push(`${name}.after`),
    });
    const { run } = pipeline(
      simpleJobExecutor((context) => {
        steps.push(`item ${context.shardingItem}`);
        return context.shardingItem === 1 ? slow : undefined;
      }),
      [hook('first'), hook('second')],
    );
    const done = run.run(config, [0, 1], 2_000, 'MISFIRE');
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(['first.before 0,1', 'second.before 0,1', 'item 0', 'item 1']);
    finish();
    await done;
    expect(steps.slice(4)).toEqual(['first.after', 'second.after']);
  });

  it('gives a failing hook to the error handler; the items and the other hooks still run', async () => {
    const ran: number[] = [];
    const after: string[] = [];
    const failure = new Error('listener down');
    const { run, errors } = pipeline(
      simpleJobExecutor((context) => void ran.push(context.shardingItem)),
      [
        {
          beforeExecution: () => {
            throw failure;
          },
          afterExecution: () => void after.push('first'),
        },
        { afterExecution: async () => void after.push('second') },
      ],
    );
    await run.run(config, [0, 1, 2], 3_000, 'NORMAL_TRIGGER');
    expect(errors).toEqual([failure]);
    expect(ran).toEqual([0, 1, 2]);
    expect(after).toEqual(['first', 'second']);
  });

  it('posts status and item events to subscribers only, with the failure of a failed item', async () => {
    const events = new JobEventBus();
    const posted: JobEvent[] = [];
    const broken = new Error('item 1 broke');
    const { run } = pipeline(
      simpleJobExecutor((context) => {
        if (context.shardingItem === 1) {
          throw broken;
        }
      }),
      [],
      events,
    );
    expect(events.active).toBe(false);
    const stop = events.subscribe((event) => posted.push(event));
    await run.run(config, [0, 1], 4_000, 'FAILOVER');
    const summary = posted.map((e) =>
      e.kind === 'execution'
        ? `${e.shardingItem} ${e.completeTime === undefined ? 'start' : e.success}`
        : e.kind === 'status'
          ? e.state
          : e.kind,
    );
    expect(summary).toEqual([
      'TASK_STAGING',
      'TASK_RUNNING',
      '0 start',
      '0 true',
      '1 start',
      '1 false',
      'TASK_FINISHED',
    ]);
    const failed = posted.find((e) => e.kind === 'execution' && e.success === false);
    expect(failed).toMatchObject({ failureCause: broken, taskId: 'settle@-@0,1@-@FAILOVER@-@10.0.0.1@-@1' });
    stop();
    expect(events.active).toBe(false);
    expect(run.run(config, [0], 5_000, 'NORMAL_TRIGGER')).toBeUndefined();
    expect(posted).toHaveLength(7);
  });

  it('streams a dataflow item until the item is no longer this instance’s', async () => {
    let fetches = 0;
    const processed: number[][] = [];
    const job = {
      fetchData: async () => [++fetches],
      processData: async (_context: ShardingContext, data: number[]) => void processed.push(data),
    };
    const streaming = { ...config, props: { 'streaming.process': 'true' } };
    // Resharded away after the third fetch.
    const { run } = pipeline(dataflowJobExecutor(job), [], new JobEventBus(), {
      config: streaming,
      localItems: () => (fetches < 3 ? [0] : [1]),
    });
    await run.run(streaming, [0], 6_000, 'NORMAL_TRIGGER');
    expect(processed).toEqual([[1], [2], [3]]);
  });
});
