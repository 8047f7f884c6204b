import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The compiled library (.build, as the test set-up compiles it): a fresh process shows which modules an import loads.
const BUILD = join(__dirname, '../../.build/lib');

/** Runs `script` in a new node process and returns what it printed last, as JSON. */
function run(script: string): Record<string, boolean> {
  const result = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`the script failed (${result.status ?? result.signal}):\n${result.stderr}`);
  }
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

describe('the native zookeeper addon', () => {
  it('is loaded by the first native client (loadNativeClient), not on import or construction', () => {
    const outcome = run(`
      const { sep } = require('node:path');
      const loaded = () => Object.keys(require.cache).some((file) => file.includes(sep + 'node_modules' + sep + 'zookeeper' + sep));
      const { ZookeeperRegistryCenter } = require(${JSON.stringify(join(BUILD, 'index.js'))});
      require(${JSON.stringify(join(BUILD, 'registry-center/index.js'))});
      require(${JSON.stringify(join(BUILD, 'registry-center/registry-center.interface.js'))});
      const onImport = loaded();
      new ZookeeperRegistryCenter({ serverLists: '127.0.0.1:1', namespace: 'native-addon-spec' });
      const onConstruction = loaded();
      require(${JSON.stringify(join(BUILD, 'registry-center/native-client.js'))}).loadNativeClient();
      console.log(JSON.stringify({ onImport, onConstruction, afterLoad: loaded() }));
    `);
    expect(outcome).toEqual({ onImport: false, onConstruction: false, afterLoad: true });
  });
});
