import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const running = new Set<ChildProcess>();
process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sends a four-letter command (`ruok`, `srvr`, `mntr`, ...) and returns the answer ('' when unreachable). */
export function fourLetterWord(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(command));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(''));
  });
}

/** Polls `condition` until it is true or `timeoutMs` passes; throws with `message` then. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ZookeeperServerOptions {
  tickTime?: number;
  /**
   * Runs the server in a process group of its own, so that a Ctrl-C in the terminal, which goes to the whole
   * foreground group, does not stop it before the processes that use it (the demo stops it last itself).
   */
  ownProcessGroup?: boolean;
}

/**
 * A real standalone ZooKeeper (Debian's `zookeeper` package) on a free loopback port with a temporary data dir.
 * It can be stopped and started again, with its data kept or wiped.
 */
export class ZookeeperTestServer {
  private process?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly tickTime: number,
    private readonly ownProcessGroup = false,
  ) {}

  static async start(options: ZookeeperServerOptions = {}): Promise<ZookeeperTestServer> {
    if (!existsSync(ZOOKEEPER_JAR)) {
      throw new Error(`${ZOOKEEPER_JAR} is missing: install Debian's zookeeper package (apt-get install zookeeper)`);
    }
    const server = new ZookeeperTestServer(
      await freePort(),
      mkdtempSync(join(tmpdir(), 'ejzk-')),
      options.tickTime ?? 500,
      options.ownProcessGroup,
    );
    await server.startProcess();
    return server;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stops the server (SIGKILL, like a crash). */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) {
      return;
    }
    this.process = undefined;
    running.delete(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server again; `wipe` deletes its data first (a server that lost everything). */
  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    await this.stop();
    if (options.wipe) {
      rmSync(join(this.dataDir, 'version-2'), { recursive: true, force: true });
    }
    await this.startProcess();
  }

  /** Stops the server and deletes its data dir. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The server's last zxid: the count of write transactions it has committed in this epoch. */
  async zxid(): Promise<number> {
    const match = /Zxid: 0x([0-9a-f]+)/i.exec(await fourLetterWord(this.port, 'srvr'));
    if (!match) {
      throw new Error('srvr gave no zxid');
    }
    return Number(BigInt(`0x${match[1]}`) & 0xffffffffn);
  }

  private async startProcess(): Promise<void> {
    const config = join(this.dataDir, 'zoo.cfg');
    writeFileSync(
      config,
      [
        `tickTime=${this.tickTime}`,
        `dataDir=${this.dataDir}`,
        `clientPort=${this.port}`,
        'clientPortAddress=127.0.0.1',
        'maxClientCnxns=0',
        'admin.enableServer=false',
        '4lw.commands.whitelist=*',
        `minSessionTimeout=${this.tickTime * 2}`,
        'maxSessionTimeout=120000',
        'forceSync=no',
        'globalOutstandingLimit=100000',
      ].join('\n'),
    );
    const child = spawn(
      'java',
      ['-Xmx512m', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', config],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: this.ownProcessGroup,
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    this.process = child;
    running.add(child);
    let exited = false;
    child.once('exit', () => (exited = true));
    // `ruok` answers before the server serves sessions; `srvr` tells when it does.
    await waitFor(
      async () => exited || (await fourLetterWord(this.port, 'srvr')).startsWith('Zookeeper version'),
      30_000,
      `ZooKeeper on port ${this.port}`,
    );
    if (exited) {
      throw new Error(`ZooKeeper exited at start: ${stderr}`);
    }
  }
}

/** Whether Java and the ZooKeeper jar are on this machine (the suite's set-up installs them). */
export const zookeeperAvailable = () => existsSync(ZOOKEEPER_JAR) && spawnSync('java', ['-version']).status === 0;
