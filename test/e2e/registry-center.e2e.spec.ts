import { ConnectionStateEvent, RegistryCenterError, ZookeeperRegistryCenter } from '../../lib';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

describe('ZookeeperRegistryCenter against a real ZooKeeper', () => {
  let zk: ZookeeperTestServer;
  const centers: ZookeeperRegistryCenter[] = [];
  const connect = async (options: Partial<ConstructorParameters<typeof ZookeeperRegistryCenter>[0]> = {}) => {
    const center = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: 'rc-test', ...options });
    centers.push(center);
    await center.connect();
    return center;
  };

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  afterEach(async () => {
    await Promise.all(centers.splice(0).map((center) => center.close()));
  });
  afterAll(async () => {
    await zk.destroy();
  });

  it('creates, reads, updates with versions and removes recursively, with typed errors', async () => {
    const rc = await connect();
    await rc.remove('/ops', { recursive: true });
    expect(await rc.create('/ops/a/b', 'hello')).toBe('/ops/a/b');
    expect(await rc.get('/ops/a/b')).toBe('hello');
    expect(await rc.exists('/ops/a')).toBe(true);
    expect(await rc.get('/ops/missing')).toBeNull();
    expect(await rc.getChildren('/ops/missing')).toEqual([]);

    await expect(rc.create('/ops/a/b', 'again')).rejects.toMatchObject({
      code: 'NODE_EXISTS',
      path: '/rc-test/ops/a/b',
    });
    const node = await rc.getNode('/ops/a/b');
    const stat = await rc.update('/ops/a/b', 'v2', node!.stat.version);
    expect(stat.version).toBe(node!.stat.version + 1);
    const stale = rc.update('/ops/a/b', 'v3', node!.stat.version);
    await expect(stale).rejects.toBeInstanceOf(RegistryCenterError);
    await expect(stale).rejects.toMatchObject({ code: 'BAD_VERSION' });
    await expect(rc.update('/ops/none', 'x')).rejects.toMatchObject({ code: 'NO_NODE' });

    const first = await rc.create('/ops/seq/item-', '', 'PERSISTENT_SEQUENTIAL');
    const second = await rc.create('/ops/seq/item-', '', 'EPHEMERAL_SEQUENTIAL');
    expect(first).toMatch(/^\/ops\/seq\/item-\d{10}$/);
    expect(second > first).toBe(true);

    await rc.persist('/ops/a/c', '1');
    await rc.persist('/ops/a/c', '2');
    expect(await rc.get('/ops/a/c')).toBe('2');
    expect(await rc.getChildren('/ops/a')).toEqual(['b', 'c']);

    // Not recursive by default: a node with children stays, and says why.
    await expect(rc.remove('/ops/a')).rejects.toMatchObject({ code: 'NOT_EMPTY' });
    expect(await rc.exists('/ops/a/b')).toBe(true);
    await rc.remove('/ops', { recursive: true });
    expect(await rc.exists('/ops')).toBe(false);
  });

  it('removes ephemeral nodes when the session closes', async () => {
    const owner = await connect();
    const observer = await connect();
    await owner.persistEphemeral('/eph/instance', 'x');
    expect((await observer.getNode('/eph/instance'))!.stat.ephemeralOwner).not.toBe('0');
    await owner.close();
    await waitFor(async () => !(await observer.exists('/eph/instance')), 5000, 'ephemeral removal');
  });

  it('keeps a tree cache current through watches that re-arm after each event', async () => {
    const writer = await connect();
    const reader = await connect();
    await writer.remove('/cached', { recursive: true });
    await writer.create('/cached/config', 'v0');
    const cache = await reader.cache('/cached');
    const events: string[] = [];
    cache.subscribe((event) => events.push(`${event.type} ${event.path} ${event.data ?? ''}`));
    expect(cache.get('/cached/config')).toBe('v0');

    for (let i = 1; i <= 5; i++) {
      await writer.update('/cached/config', `v${i}`);
      await waitFor(() => cache.get('/cached/config') === `v${i}`, 5000, `config v${i} in cache`);
    }
    await writer.create('/cached/sharding/0/running', '', 'EPHEMERAL');
    await waitFor(() => cache.has('/cached/sharding/0/running'), 5000, 'new deep node in cache');
    expect(cache.getChildren('/cached')).toEqual(['config', 'sharding']);
    await writer.remove('/cached/sharding', { recursive: true });
    await waitFor(() => !cache.has('/cached/sharding'), 5000, 'subtree removal in cache');
    await writer.create('/cached/sharding/1', 'again');
    await waitFor(() => cache.get('/cached/sharding/1') === 'again', 5000, 'node re-created after removal');

    expect(events).toEqual(
      expect.arrayContaining([
        'NODE_UPDATED /cached/config v5',
        'NODE_ADDED /cached/sharding/0/running ',
        'NODE_REMOVED /cached/sharding/0/running ',
        'NODE_ADDED /cached/sharding/1 again',
      ]),
    );
    cache.close();
  });

  it('fails with a clear error when ZooKeeper is unreachable', async () => {
    const center = new ZookeeperRegistryCenter({
      serverLists: '127.0.0.1:1',
      namespace: 'nowhere',
      connectionTimeoutMilliseconds: 300,
      maxRetries: 1,
      baseSleepTimeMilliseconds: 50,
    });
    await expect(center.connect()).rejects.toThrow(
      'ZooKeeper unreachable: could not connect to "127.0.0.1:1" (registryCenter.serverLists, namespace "nowhere") in 2 attempt(s)',
    );
  });

  it('restricts nodes to the digest user', async () => {
    const owner = await connect({ namespace: 'rc-secure', digest: 'ops:secret' });
    await owner.remove('/secret', { recursive: true });
    await owner.create('/secret/config', 'classified');
    expect(await owner.get('/secret/config')).toBe('classified');
    const stranger = await connect({ namespace: 'rc-secure' });
    await expect(stranger.get('/secret/config')).rejects.toMatchObject({ code: 'NO_AUTH' });
    const wrong = await connect({ namespace: 'rc-secure', digest: 'ops:wrong' });
    await expect(wrong.get('/secret/config')).rejects.toMatchObject({ code: 'NO_AUTH' });
    await owner.remove('/secret', { recursive: true });
  });

  it('rides out a ZooKeeper restart with its data kept: same session, data and watches intact', async () => {
    const rc = await connect({ sessionTimeoutMilliseconds: 10_000, connectionTimeoutMilliseconds: 5000 });
    const states: ConnectionStateEvent[] = [];
    rc.onConnectionState((event) => states.push(event));
    await rc.remove('/restart', { recursive: true });
    await rc.create('/restart/config', 'before');
    await rc.persistEphemeral('/restart/instances/me', 'alive');
    const cache = await rc.cache('/restart');
    const session = rc.getSessionId();

    await zk.restart();
    await waitFor(() => states.some((e) => e.state === 'RECONNECTED'), 20_000, 'RECONNECTED');
    expect(states.map((e) => e.state)).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(states[1].newSession).toBe(false);
    expect(rc.getSessionId()).toBe(session);
    expect(await rc.get('/restart/instances/me')).toBe('alive');
    await rc.update('/restart/config', 'after');
    await waitFor(() => cache.get('/restart/config') === 'after', 5000, 'watch still armed after the restart');
  });

  it('reports suspension and reconnection, and after a session expiry opens a new session that restores ephemerals and caches', async () => {
    const proxy = await TcpProxy.start(zk.port);
    try {
      const observer = await connect();
      const rc = await connect({
        serverLists: proxy.connectString,
        sessionTimeoutMilliseconds: 2000,
        connectionTimeoutMilliseconds: 2000,
      });
      const states: ConnectionStateEvent[] = [];
      rc.onConnectionState((event) => states.push(event));
      await rc.persistEphemeral('/expiry/instances/me', 'alive');
      const cache = await rc.cache('/expiry');
      const oldSession = rc.getSessionId();

      proxy.cut();
      await waitFor(() => states.some((e) => e.state === 'SUSPENDED'), 5000, 'SUSPENDED');
      // The server expires the session once it has not heard from it for the session timeout.
      await waitFor(async () => !(await observer.exists('/expiry/instances/me')), 10_000, 'server-side expiry');
      await observer.create('/expiry/written-meanwhile', 'x');
      proxy.restore();

      await waitFor(
        () => states.some((e) => e.state === 'RECONNECTED' && e.newSession),
        20_000,
        'RECONNECTED with a new session',
      );
      expect(states.map((e) => e.state)).toEqual(expect.arrayContaining(['SUSPENDED', 'LOST', 'RECONNECTED']));
      expect(rc.getSessionId()).not.toBe(oldSession);
      await waitFor(async () => (await observer.get('/expiry/instances/me')) === 'alive', 5000, 'ephemeral re-created');
      expect(cache.get('/expiry/written-meanwhile')).toBe('x');
    } finally {
      await proxy.close();
    }
  });
});
