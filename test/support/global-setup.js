// Prepares what the specs that run real processes need: the compiled library, sample app and fixtures (.build/), the
// package as published (dist/, for the CLI's bin), and the NestJS 12 application of test/compat/nest12. Runs once
// before the suite.
const { execSync } = require('node:child_process');
const { resolve } = require('node:path');

module.exports = async () => {
  const root = resolve(__dirname, '../..');
  const run = (command) => execSync(command, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  run('bash scripts/install-zookeeper.sh');
  run('npx tsc -p tsconfig.apps.json');
  run('npm run --silent build');
  run('bash scripts/prepare-nest12.sh');
};
