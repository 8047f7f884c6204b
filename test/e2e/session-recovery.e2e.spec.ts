import { Injectable, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ElasticJob, ElasticJobModule, ShardingContext, ZookeeperRegistryCenter } from '../../lib';
import { ExecutionLog } from '../support/execution-log';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor, ZookeeperTestServer } from '../support/zookeeper-server';

const log = new ExecutionLog();

@Injectable()
class Jobs {
  @ElasticJob({ name: 'healing', cron: '* * * * * ?', shardingTotalCount: 2 })
  run(context: ShardingContext) {
    log.start(context);
  }
}

describe('session expiry', () => {
  let zk: ZookeeperTestServer;
  let proxy: TcpProxy;
  let app: INestApplicationContext | undefined;
  let observer: ZookeeperRegistryCenter;

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
    proxy = await TcpProxy.start(zk.port);
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace: 'healing' });
    await observer.connect();
  });
  afterAll(async () => {
    await app?.close();
    await observer.close();
    await proxy.close();
    await zk.destroy();
  });

  it('never stops an instance for good: it opens a new session, registers again and keeps firing', async () => {
    @Module({
      imports: [
        ElasticJobModule.forRoot({
          registryCenter: {
            serverLists: proxy.connectString,
            namespace: 'healing',
            sessionTimeoutMilliseconds: 2000,
            connectionTimeoutMilliseconds: 2000,
          },
        }),
      ],
      providers: [Jobs],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await waitFor(() => log.fires('healing') >= 2, 10_000, '2 fires');
    const [instance] = await observer.getChildren('/healing/instances');
    expect(instance).toBeDefined();

    proxy.cut();
    await waitFor(
      async () => (await observer.getChildren('/healing/instances')).length === 0,
      15_000,
      'session expired',
    );
    proxy.restore();
    await waitFor(
      async () => (await observer.getChildren('/healing/instances')).includes(instance),
      20_000,
      'instance back',
    );
    const afterRecovery = log.of('healing').length;
    await waitFor(() => log.of('healing').length >= afterRecovery + 4, 10_000, 'fires after recovery');
    expect(await observer.get(`/healing/servers/${instance.split('@-@')[0]}`)).toBe('ENABLED');
  });
});
