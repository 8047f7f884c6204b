import { execSync } from 'node:child_process';
import { createConnection } from 'node:net';

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

async function ensure(name: string, port: number, start: string): Promise<void> {
  if (await reachable(port)) {
    return;
  }
  process.stderr.write(`  ${name} is not running on 127.0.0.1:${port}; starting it\n`);
  execSync(start, { stdio: 'inherit' });
  for (let i = 0; i < 50 && !(await reachable(port)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!(await reachable(port))) {
    throw new Error(`${name} did not start on 127.0.0.1:${port} (${start})`);
  }
}

/** Redis from Debian's package on 127.0.0.1:6379, started when it is down. */
export const ensureRedis = () =>
  ensure(
    'Redis',
    6379,
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  );

/** PostgreSQL from Debian's package on 127.0.0.1:5432 (trust auth), started when it is down. */
export const ensurePostgres = () =>
  ensure('PostgreSQL', 5432, 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
