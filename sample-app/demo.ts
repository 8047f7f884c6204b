import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ZookeeperTestServer } from '../test/support/zookeeper-server';

/**
 * Runs the sample app against ZooKeeper: the one in ZK_SERVERS, or a local one started here (Debian's package).
 * INSTANCES copies of the app are started (default 1). Ctrl-C stops everything.
 */
async function main() {
  let zookeeper: ZookeeperTestServer | undefined;
  let servers = process.env.ZK_SERVERS;
  if (!servers) {
    zookeeper = await ZookeeperTestServer.start();
    servers = zookeeper.connectString;
    console.log(`Started ZooKeeper on ${servers} (data in ${zookeeper.dataDir})`);
  }
  const count = Number(process.env.INSTANCES ?? 1);
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    children.push(
      spawn(process.execPath, [join(__dirname, 'main.js')], {
        env: { ...process.env, ZK_SERVERS: servers },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log('\nStopping the demo...');
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) =>
            child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM')),
          ),
      ),
    );
    await zookeeper?.destroy();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  children.forEach((child) =>
    child.on('exit', (code) => code && !stopping && console.error(`instance exited with ${code}`)),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
