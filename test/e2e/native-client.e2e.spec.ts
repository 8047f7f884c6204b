import { join } from 'node:path';
import { AppEvent, AppProcess } from '../support/app-process';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The fixture runs in a process of its own: a native client that takes the process down (a libuv assertion, SIGABRT)
// would take jest with it.
const FIXTURE = join(__dirname, '../../.build/test/fixtures/many-registry-centers.js');
const CENTERS = Number(process.env.NATIVE_CLIENT_CENTERS ?? 4);
const CYCLES = Number(process.env.NATIVE_CLIENT_CYCLES ?? 8);

describe('several registry centers in one process, ZooKeeper stopped and started again and again', () => {
  let zk: ZookeeperTestServer;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await zk.destroy();
  });

  /** Fails, with the end of the process's output (where an assertion message is), once the process has ended. */
  const expectAlive = (when: string) => {
    const { exitCode, signalCode } = app!.child;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(
        `the process ended ${when} (exit code ${exitCode}, signal ${signalCode}):\n${app!.output.slice(-40).join('\n')}`,
      );
    }
  };

  /** Waits until every center reported one of `states` after event number `from` (or the process ended). */
  const waitForAll = async (states: string[], from: number, timeoutMs: number, what: string) => {
    const seen = () =>
      new Set(
        app!.events
          .slice(from)
          .filter((e: AppEvent) => e.event === 'state' && states.includes(String(e.state)))
          .map((e) => e.namespace),
      );
    await waitFor(
      () => seen().size === CENTERS || app!.child.exitCode !== null || app!.child.signalCode !== null,
      timeoutMs,
      `${what} on all ${CENTERS} centers (seen on ${[...seen()].join(', ') || 'none'})`,
    );
    expectAlive(`while waiting for ${what}`);
  };

  it('never aborts the process, and every center writes and reads after the last restart', async () => {
    app = AppProcess.spawn(
      'registry centers',
      [FIXTURE],
      { ZK_SERVERS: zk.connectString, RC_COUNT: String(CENTERS), SESSION_TIMEOUT_MS: '4000' },
      undefined,
      true,
    );
    await app.waitForEvent('ready', 30_000);

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      let mark = app.events.length;
      await zk.stop();
      // Every other cycle ZooKeeper stays away until each center has given its session up (a whole session timeout
      // without an answer) and opens new ones while the others reconnect; otherwise it comes back at once.
      const away = cycle % 2 === 1 ? ['LOST'] : ['SUSPENDED', 'LOST'];
      await waitForAll(away, mark, 20_000, `${away.join(' or ')} (cycle ${cycle + 1})`);
      mark = app.events.length;
      await zk.restart();
      await waitForAll(['RECONNECTED'], mark, 30_000, `RECONNECTED (cycle ${cycle + 1})`);
      expectAlive(`in cycle ${cycle + 1}`);
    }

    app.send('check final');
    const checked = await app.waitForEvent('checked', 30_000);
    expectAlive('after the last restart');
    const results = checked.results as { namespace: string; ok: boolean; operations?: { ok: number } }[];
    expect(results.map(({ namespace, ok }) => ({ namespace, ok }))).toEqual(
      Array.from({ length: CENTERS }, (_, index) => ({ namespace: `native-${index}`, ok: true })),
    );
    // Each center kept working through the cycles (the fixture counts its rounds that succeeded).
    for (const result of results) {
      expect(result.operations!.ok).toBeGreaterThan(CYCLES);
    }

    app.send('exit');
    await waitFor(() => app!.child.exitCode !== null || app!.child.signalCode !== null, 30_000, 'the process to exit');
    expect({ exitCode: app.child.exitCode, signal: app.child.signalCode }).toEqual({ exitCode: 0, signal: null });
  });
});
