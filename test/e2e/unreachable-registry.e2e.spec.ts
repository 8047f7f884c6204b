import { createServer, Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryCenterOptions, ZookeeperRegistryCenter } from '../../lib';
import { AppProcess } from '../support/app-process';
import { CLUSTER_APP } from '../support/cluster';
import { fourLetterWord, freePort, waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// The start of a real application (the cluster fixture) against a ZooKeeper it cannot reach, with the module's default
// registry options: maxSleepTimeMilliseconds 3000 x maxRetries 3 = 9000 ms is the start-up limit,
// connectionTimeoutMilliseconds 15000 bounds one attempt, and the retries wait 1000, 2000 and 3000 ms.
const LIMIT_MS = 9_000;
const BACKOFFS_MS = 1_000 + 2_000 + 3_000;
// What the process takes to load node, Nest and the native client before it connects.
const PROCESS_START_MARGIN_MS = 2_000;

describe('start-up against an unreachable ZooKeeper (default registry options)', () => {
  const apps: AppProcess[] = [];
  const servers: Server[] = [];
  const accepted: Socket[] = [];
  let zk: ZookeeperTestServer | undefined;

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
    accepted.splice(0).forEach((socket) => socket.destroy());
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    await zk?.destroy();
    zk = undefined;
  });

  /** Spawns the fixture app against `zkServers`, with the module's defaults but for the fixture's own settings. */
  function spawnApp(name: string, zkServers: string, namespace: string) {
    const app = AppProcess.spawn(name, [CLUSTER_APP], {
      ZK_SERVERS: zkServers,
      ZK_NAMESPACE: namespace,
      // The module's defaults (the fixture's own default session timeout is 4000 ms).
      SESSION_TIMEOUT_MS: '60000',
      CONNECTION_TIMEOUT_MS: '',
      JOB_TOTAL: '1',
      ITEM_MS: '10',
    });
    apps.push(app);
    return { app, spawnedAt: Date.now() };
  }

  /** Waits for the app's `failed` event and its exit; returns the message and when it failed. */
  async function failure(app: AppProcess, spawnedAt: number) {
    const failed = await app.waitForEvent('failed', LIMIT_MS + 10_000);
    await waitFor(() => app.child.exitCode !== null, 5_000, `${app.name} to exit`);
    expect(app.child.exitCode).toBe(1);
    const message = String(failed.error);
    const reported = /in (\d+) attempt\(s\) over (\d+) ms: /.exec(message);
    expect(reported).not.toBeNull();
    return {
      message,
      attempts: Number(reported![1]),
      connectingMs: Number(reported![2]),
      sinceSpawnMs: Number(failed.at) - spawnedAt,
    };
  }

  it('fails after the back-offs alone, well before the limit, when nothing listens at the servers', async () => {
    const port = await freePort();
    const { app, spawnedAt } = spawnApp('refused', `127.0.0.1:${port}`, 'unreachable-refused');
    const { message, attempts, connectingMs, sinceSpawnMs } = await failure(app, spawnedAt);

    expect(message).toContain(
      `ZooKeeper unreachable: could not connect to "127.0.0.1:${port}" ` +
        '(registryCenter.serverLists, namespace "unreachable-refused")',
    );
    expect(message).toContain(`no server accepts connections (127.0.0.1:${port} ECONNREFUSED)`);
    // 1 attempt and maxRetries 3 retries, each ended by the refusal, with the back-offs in between.
    expect(attempts).toBe(4);
    expect(connectingMs).toBeGreaterThanOrEqual(BACKOFFS_MS);
    expect(connectingMs).toBeLessThan(BACKOFFS_MS + 1_000);
    expect(sinceSpawnMs).toBeLessThan(BACKOFFS_MS + PROCESS_START_MARGIN_MS);
  });

  /** A server that accepts connections and then reads nothing, writes nothing, closes nothing; its `host:port`. */
  async function blackHole(): Promise<string> {
    const server = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it('fails at the limit when a server accepts the connection and never answers', async () => {
    const hole = await blackHole();
    const { app, spawnedAt } = spawnApp('black hole', hole, 'unreachable-silent');
    const { message, attempts, connectingMs, sinceSpawnMs } = await failure(app, spawnedAt);

    expect(message).toContain(
      `ZooKeeper unreachable: could not connect to "${hole}" (registryCenter.serverLists, namespace "unreachable-silent")`,
    );
    expect(message).toContain(
      `no session within the start-up limit of ${LIMIT_MS} ms (registryCenter.maxSleepTimeMilliseconds x maxRetries)`,
    );
    // The client got through to the server (the probe, and the native client that then waited for an answer).
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    // One attempt: connectionTimeoutMilliseconds (15 s) is cut to the limit.
    expect(attempts).toBe(1);
    expect(connectingMs).toBeGreaterThanOrEqual(LIMIT_MS);
    expect(connectingMs).toBeLessThan(LIMIT_MS + 500);
    expect(sinceSpawnMs).toBeGreaterThanOrEqual(LIMIT_MS);
    expect(sinceSpawnMs).toBeLessThan(LIMIT_MS + PROCESS_START_MARGIN_MS);
  });

  it('bounds each attempt by connectionTimeoutMilliseconds, and stops when the retries are spent', async () => {
    const hole = await blackHole();
    const connectFailure = async (options: Partial<RegistryCenterOptions>) => {
      const center = new ZookeeperRegistryCenter({ serverLists: hole, namespace: 'unreachable-bounds', ...options });
      const started = Date.now();
      const error = await center.connect().then(
        () => new Error('connected to a black hole'),
        (failed: Error) => failed,
      );
      await center.close();
      return { message: error.message, ms: Date.now() - started };
    };

    // 3 attempts of 1000 ms, with 500 and 1000 ms between them: 4500 ms, before the limit of 2 x 3000 ms.
    const spent = await connectFailure({
      connectionTimeoutMilliseconds: 1_000,
      baseSleepTimeMilliseconds: 500,
      maxRetries: 2,
    });
    expect(spent.message).toMatch(
      /in 3 attempt\(s\) over \d+ ms: no session within 1000 ms \(registryCenter\.connectionTimeoutMilliseconds\)$/,
    );
    expect(spent.ms).toBeGreaterThanOrEqual(4_500);
    expect(spent.ms).toBeLessThan(5_500);

    // No retries: the one attempt's timeout is the whole bound (as for the CLI's --timeout).
    const single = await connectFailure({ connectionTimeoutMilliseconds: 1_000, maxRetries: 0 });
    expect(single.message).toMatch(
      /in 1 attempt\(s\) over \d+ ms: no session within 1000 ms \(registryCenter\.connectionTimeoutMilliseconds\)$/,
    );
    expect(single.ms).toBeGreaterThanOrEqual(1_000);
    expect(single.ms).toBeLessThan(1_500);
  });

  it('connects to a ZooKeeper that starts a couple of seconds after the application, within the limit', async () => {
    // The harness's server picks its port; stopped, nothing listens there until it starts again on the same port.
    zk = await ZookeeperTestServer.start();
    await zk.stop();
    expect(await fourLetterWord(zk.port, 'srvr')).toBe('');
    const { app, spawnedAt } = spawnApp('late server', zk.connectString, 'unreachable-late');
    // The scenario, not a synchronisation: ZooKeeper stays down for the first 2 s of the application's life.
    await sleep(2_000);
    const restartedAt = Date.now();
    await zk.restart();

    const started = await app.waitForEvent('started', LIMIT_MS + PROCESS_START_MARGIN_MS);
    expect(app.of('failed')).toEqual([]);
    expect(Number(started.at)).toBeGreaterThan(restartedAt);
    expect(Number(started.at) - spawnedAt).toBeLessThan(LIMIT_MS + PROCESS_START_MARGIN_MS);

    // It registered itself as the job's one instance.
    const observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: 'unreachable-late' });
    await observer.connect();
    try {
      await waitFor(
        async () => (await observer.getChildren('/cluster/instances')).length === 1,
        5_000,
        'the instance node',
      );
    } finally {
      await observer.close();
    }
  });
});
