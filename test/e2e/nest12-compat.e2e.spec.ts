import { join } from 'node:path';
import { ZookeeperRegistryCenter } from '../../lib';
import { AppProcess } from '../support/app-process';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

// NestJS 12 is ESM-only and jest's module loader cannot require it, so it is proven in a real process: an ESM
// application on NestJS 12 that imports this package as installed under its node_modules (see global-setup.js).
describe('NestJS 12 application (ESM) in a real process', () => {
  let zk: ZookeeperTestServer;
  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  afterAll(async () => {
    await zk.destroy();
  });

  it('runs every item once per fire and leaves the registry on SIGTERM', async () => {
    const app = AppProcess.spawn(
      'nest12',
      [join(__dirname, '../compat/nest12/app.mjs')],
      {
        ZK_SERVERS: zk.connectString,
        ZK_NAMESPACE: 'compat',
      },
      join(__dirname, '../compat/nest12'),
    );
    const rc = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: 'compat' });
    try {
      const started = await app.waitForEvent('started', 30_000);
      expect(String(started.nest)).toMatch(/^12\./);
      expect(started.jobs).toEqual(['compat']);
      expect(started.brief).toEqual({
        jobName: 'compat',
        status: 'OK',
        cron: '* * * * * ?',
        instanceCount: 1,
        shardingTotalCount: 3,
      });
      await app.waitForEvent('run', 15_000, 12);
      const bySecond = new Map<number, number[]>();
      for (const run of app.of('run')) {
        const second = Math.floor(Number(run.at) / 1000);
        bySecond.set(second, [...(bySecond.get(second) ?? []), Number(run.item)]);
      }
      const complete = [...bySecond.values()].slice(1, -1);
      expect(complete.length).toBeGreaterThanOrEqual(2);
      for (const items of complete) {
        expect(items.sort()).toEqual([0, 1, 2]);
      }
      await rc.connect();
      expect(await rc.getChildren('/compat/instances')).toHaveLength(1);
      await app.stop('SIGTERM');
      await waitFor(
        async () => (await rc.getChildren('/compat/instances')).length === 0,
        5000,
        'instance node removed',
      );
    } finally {
      await app.stop('SIGKILL');
      await rc.close();
    }
  });
});
