import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './zookeeper-server';

// Debian's PostgreSQL server binaries (package postgresql-15 or later).
const PG_LIB = '/usr/lib/postgresql';

/**
 * A PostgreSQL server of its own for a test: a new cluster in a temporary folder, on a free port, trust auth, that
 * the test can stop and start again (the machine's server is not touched). As root it runs as the `postgres` user.
 */
export class PostgresTestServer {
  private running = false;

  private constructor(
    private readonly bin: string,
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PostgresTestServer> {
    const versions = existsSync(PG_LIB)
      ? readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, 'bin/initdb')))
      : [];
    if (versions.length === 0) {
      throw new Error(`No PostgreSQL server binaries under ${PG_LIB} (apt-get install postgresql)`);
    }
    const bin = join(PG_LIB, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
    const dataDir = mkdtempSync(join(tmpdir(), 'pg-test-'));
    if (process.getuid?.() === 0) {
      chownSync(dataDir, uidOf('postgres'), gidOf('postgres'));
    }
    const server = new PostgresTestServer(bin, dataDir, await freePort());
    server.run('initdb', ['-D', join(dataDir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await server.resume();
    return server;
  }

  get connectionString(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Stops the server (fast shutdown: open connections are ended). */
  async stop(): Promise<void> {
    if (this.running) {
      this.run('pg_ctl', ['-D', join(this.dataDir, 'data'), '-m', 'fast', '-w', 'stop']);
      this.running = false;
    }
  }

  /** Starts it again (the same data, the same port). */
  async resume(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`;
    this.run('pg_ctl', [
      '-D',
      join(this.dataDir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dataDir, 'log'),
      '-w',
      'start',
    ]);
    this.running = true;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private run(program: string, args: string[]): void {
    const command = join(this.bin, program);
    const result =
      process.getuid?.() === 0
        ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', cwd: '/' })
        : spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`${program} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  }
}

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}

function gidOf(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}
