import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'pg';
import { ZookeeperTestServer } from '../test/support/zookeeper-server';

/**
 * Runs INSTANCES copies (default 3) of the sample app against ZooKeeper: the one in ZK_SERVERS, or a local one started
 * here (Debian's package). Prints, per fire, which instance ran which item: of settle-orders (a decorated method), of
 * archive-logs (a script job declared by configuration) and of notify-partners (an HTTP job declared by
 * configuration, whose requests a small server here receives). After STOP_ONE_AFTER seconds (default 20; 0 to keep
 * all) it stops one instance gracefully, so the reshard shows. Ctrl-C stops everything.
 */
const LINE = /instance (\d+) settles item (\d+) \(([^)]*)\)/;
// What the script job prints (through the Nest logger, with the job and the item).
const SCRIPT_LINE = /Job "archive-logs" item (\d+): archiving logs: .*"shardingParameter":"([^"]*)"/;
// Runs are printed grouped by the second of their fire.
const FIRE_MS = 1000;
// How long the instances get to close on Ctrl-C (their items' grace period is 10 s) before they are killed.
const STOP_DEADLINE_MS = 15_000;

async function main() {
  let zookeeper: ZookeeperTestServer | undefined;
  let servers = process.env.ZK_SERVERS;
  if (!servers) {
    // Out of the terminal's process group: a Ctrl-C must not stop it before the instances have closed their sessions.
    zookeeper = await ZookeeperTestServer.start({ ownProcessGroup: true });
    servers = zookeeper.connectString;
    console.log(`Started ZooKeeper on ${servers} (data in ${zookeeper.dataDir})`);
  }
  const fires = new Map<number, string[]>();
  const record = (line: string) => {
    const fire = Math.floor(Date.now() / FIRE_MS) * FIRE_MS;
    fires.set(fire, [...(fires.get(fire) ?? []), line]);
    setTimeout(() => printFire(fire), 1000).unref();
  };
  // The partners' webhook of the HTTP job: the sharding context comes in the `shardingContext` header.
  const partners = createServer((request, response) => {
    const context = JSON.parse(String(request.headers.shardingcontext ?? '{}'));
    const pid = String(context.taskId ?? '')
      .split('@-@')
      .pop();
    record(`notify-partners item ${context.shardingItem} (${context.shardingParameter}) -> pid ${pid}`);
    request.resume().on('end', () => response.end('ok'));
  });
  await new Promise<void>((resolve) => partners.listen(0, '127.0.0.1', resolve));
  const webhook = `http://127.0.0.1:${(partners.address() as AddressInfo).port}/partners/notify`;
  const tracing = await tracingUrl();
  const count = Number(process.env.INSTANCES ?? 3);
  const basePort = Number(process.env.PORT ?? 3100);
  const stopOneAfter = Number(process.env.STOP_ONE_AFTER ?? 20);
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, [join(__dirname, 'main.js')], {
      env: {
        ...process.env,
        ZK_SERVERS: servers,
        PARTNER_WEBHOOK_URI: webhook,
        PORT: String(basePort + i),
        TRACING_URL: tracing ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = LINE.exec(line);
      if (match) {
        record(`settle-orders item ${match[2]} (${match[3]}) -> pid ${match[1]}`);
      }
      const script = SCRIPT_LINE.exec(line);
      if (script) {
        record(`archive-logs item ${script[1]} (${script[2]}) -> pid ${child.pid}`);
      }
    });
  }
  console.log(
    `Started ${count} instance(s): pids ${children.map((child) => child.pid).join(', ')}; settle-orders fires every 5 s,` +
      ` the script job archive-logs and the HTTP job notify-partners (declared by configuration) every 10 s`,
  );
  const first = `http://127.0.0.1:${basePort}`;
  console.log(
    `Each instance serves /health (terminus), /metrics (Prometheus) and /history, on ports ${basePort}-${basePort + count - 1}: ` +
      `curl ${first}/health; ` +
      (tracing
        ? `runs are traced into ${tracing.replace(/\/\/[^@/]*@/, '//')} (ElasticJob's tables): curl '${first}/history?job=settle-orders'`
        : `tracing is off: PostgreSQL is not reachable at ${DEFAULT_TRACING_URL} (set TRACING_URL=postgres://user@host:5432/db)`),
  );
  const printFire = (fire: number) => {
    const lines = fires.get(fire);
    if (lines) {
      fires.delete(fire);
      console.log(`${new Date(fire).toISOString().slice(11, 19)}  ${lines.sort().join('   ')}`);
    }
  };
  if (stopOneAfter > 0 && count > 1) {
    setTimeout(() => {
      const victim = children[children.length - 1];
      console.log(`-- stopping instance pid ${victim.pid} gracefully (SIGTERM): its items move to the others --`);
      victim.kill('SIGTERM');
    }, stopOneAfter * 1000).unref();
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log('\nStopping the demo: the instances first, then ZooKeeper...');
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const exited = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    running.forEach((child) => child.kill('SIGTERM'));
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(exited).then(() => false),
      new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), STOP_DEADLINE_MS))),
    ]);
    clearTimeout(deadline);
    if (timedOut) {
      const stragglers = running.filter((child) => child.exitCode === null && child.signalCode === null);
      console.log(
        `-- killing pid(s) ${stragglers.map((child) => child.pid).join(', ')}: not closed after ${STOP_DEADLINE_MS / 1000} s --`,
      );
      stragglers.forEach((child) => child.kill('SIGKILL'));
      await Promise.all(exited);
    }
    partners.close();
    await zookeeper?.destroy();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The machine's PostgreSQL (or TRACING_URL; `off`: none), if it answers within 2 s. */
const DEFAULT_TRACING_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
async function tracingUrl(): Promise<string | undefined> {
  const url = process.env.TRACING_URL ?? DEFAULT_TRACING_URL;
  if (url === 'off' || url === '') {
    return undefined;
  }
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
    return url;
  } catch {
    return undefined;
  } finally {
    await pool.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
