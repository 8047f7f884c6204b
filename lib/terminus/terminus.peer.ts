import { readFileSync } from 'node:fs';
import { ElasticJobError } from '../errors';

// `@nestjs/terminus` is an optional peer dependency: imported first by the indicator, this turns Node's bare
// "Cannot find module" (or an obscure injection error with a terminus too old for `HealthIndicatorService`) into an
// error that says what to install.
const PEER = '@nestjs/terminus';
const MIN_MAJOR = 11;

const missingPeer = () =>
  `nestjs-elasticjob/terminus needs the optional peer dependency ${PEER} (>= ${MIN_MAJOR}), which is not installed: npm i ${PEER}`;

const peerTooOld = (version: string) =>
  `nestjs-elasticjob/terminus needs ${PEER} >= ${MIN_MAJOR} (for HealthIndicatorService), but ${version} is installed: npm i ${PEER}@^${MIN_MAJOR}`;

function resolves(request: string): boolean {
  try {
    require.resolve(request);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      return false;
    }
    throw error;
  }
}

/** The installed version, when its package.json can be read (a package may not export it). */
function installedVersion(): string | undefined {
  try {
    return JSON.parse(readFileSync(require.resolve(`${PEER}/package.json`), 'utf8')).version;
  } catch {
    return undefined;
  }
}

if (!resolves(PEER)) {
  throw new ElasticJobError(missingPeer());
}
const version = installedVersion();
if (version !== undefined && Number(version.split('.')[0]) < MIN_MAJOR) {
  throw new ElasticJobError(peerTooOld(version));
}
