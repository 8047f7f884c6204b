import { join } from 'node:path';
import { AppEvent, AppProcess } from '../support/app-process';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The registry centers run in a process of their own: a native client that takes its process down (a libuv assertion,
// SIGABRT, or a SIGSEGV) would take jest with it.
const FIXTURE = join(__dirname, '../../.build/test/fixtures/many-registry-centers.js');
const CENTERS = Number(process.env.NATIVE_CLIENT_CENTERS ?? 4);
// Even cycles keep ZooKeeper away past the session timeout, odd ones bring it back at once; an odd count ends on a
// short one, so that the sessions checked at the end are ones that lived through a reconnection.
const CYCLES = Number(process.env.NATIVE_CLIENT_CYCLES ?? 9);

describe('several registry centers in one process (the native client)', () => {
  let zk: ZookeeperTestServer;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  afterEach(async () => {
    await app?.stop('SIGKILL');
    app = undefined;
  });
  afterAll(async () => {
    await zk.destroy();
  });

  const start = async (centers: number, env: Record<string, string> = {}) => {
    app = AppProcess.spawn(
      'registry centers',
      [FIXTURE],
      { ZK_SERVERS: zk.connectString, RC_COUNT: String(centers), SESSION_TIMEOUT_MS: '4000', ...env },
      undefined,
      true,
    );
    return app.waitForEvent('ready', 30_000);
  };
  const ended = () => app!.child.exitCode !== null || app!.child.signalCode !== null;

  /** Fails, with the end of the process's output (where an assertion message is), once the process has ended. */
  const expectAlive = (when: string) => {
    if (ended()) {
      const { exitCode, signalCode } = app!.child;
      throw new Error(
        `the process ended ${when} (exit code ${exitCode}, signal ${signalCode}):\n${app!.output.slice(-40).join('\n')}`,
      );
    }
  };

  /** The state events after event number `from`, of `namespaces`, with one of `states`. */
  const statesSince = (from: number, states: string[], namespaces?: string[]) =>
    app!.events
      .slice(from)
      .filter(
        (e: AppEvent) =>
          e.event === 'state' &&
          states.includes(String(e.state)) &&
          (!namespaces || namespaces.includes(String(e.namespace))),
      );

  /** Waits until each of `namespaces` reported one of `states` after event number `from` (or the process ended). */
  const waitForStates = async (states: string[], from: number, namespaces: string[], timeoutMs: number) => {
    const seen = () => new Set(statesSince(from, states, namespaces).map((e) => String(e.namespace)));
    await waitFor(
      () => seen().size === namespaces.length || ended(),
      timeoutMs,
      `${states.join(' or ')} on ${namespaces.join(', ')} (seen on ${[...seen()].join(', ') || 'none'})`,
    );
    expectAlive(`while waiting for ${states.join(' or ')}`);
  };

  /** Every center writes and reads back, and its cache sees the write; then the process exits by itself, with 0. */
  const expectWorkingThenExit = async (centers: number) => {
    app!.send('check final');
    const checked = await app!.waitForEvent('checked', 30_000);
    expectAlive('while checking');
    const results = checked.results as { namespace: string; ok: boolean; sessionId: string }[];
    expect(results.map(({ namespace, ok }) => ({ namespace, ok }))).toEqual(
      Array.from({ length: centers }, (_, index) => ({ namespace: `native-${index}`, ok: true })),
    );
    app!.send('exit');
    await waitFor(ended, 30_000, 'the process to exit');
    expect({ exitCode: app!.child.exitCode, signal: app!.child.signalCode }).toEqual({ exitCode: 0, signal: null });
    return results;
  };

  it('survives ZooKeeper stopped and started again and again: no abort, and every center works after', async () => {
    await start(CENTERS);
    const all = Array.from({ length: CENTERS }, (_, index) => `native-${index}`);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      let mark = app!.events.length;
      await zk.stop();
      // Every other cycle ZooKeeper stays away until each center has given its session up (a whole session timeout
      // without an answer) and opens new ones while the others reconnect; otherwise it comes back at once.
      await waitForStates(cycle % 2 === 0 ? ['LOST'] : ['SUSPENDED', 'LOST'], mark, all, 20_000);
      mark = app!.events.length;
      await zk.restart();
      await waitForStates(['RECONNECTED'], mark, all, 30_000);
      expectAlive(`in cycle ${cycle}`);
    }
    await expectWorkingThenExit(CENTERS);
  });

  it('carries on with the same session, and its watches, when a connection drops under a send', async () => {
    const ready = await start(2, { PROXIED: '1' });
    const [session] = ready.sessions as string[];
    const mark = app!.events.length;
    app!.send('drop 0');
    await waitForStates(['SUSPENDED'], mark, ['native-0'], 10_000);
    app!.send('restore 0');
    await waitForStates(['RECONNECTED'], mark, ['native-0'], 20_000);
    // The session was not lost: no LOST, and the same session reconnected.
    expect(
      statesSince(mark, ['LOST', 'RECONNECTED']).map(({ state, newSession, sessionId }) => [
        state,
        newSession,
        sessionId,
      ]),
    ).toEqual([['RECONNECTED', false, session]]);
    const results = await expectWorkingThenExit(2);
    expect(results[0].sessionId).toBe(session);
  });
});
