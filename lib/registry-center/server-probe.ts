import { createConnection, Socket } from 'node:net';

// Connection errors after which nothing at the address can answer a ZooKeeper client.
const DOWN_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** The `host:port` pairs of a connect string (`host:port[,host:port...][/chroot]`; `[v6]:port` too). */
function serverAddresses(serverLists: string): { host: string; port: number }[] {
  return serverLists
    .replace(/\/.*$/, '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^\[(.+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+)(?::(\d+))?$/.exec(entry);
      return match ? { host: match[1], port: Number(match[2] ?? 2181) } : { host: entry, port: NaN };
    });
}

/**
 * Opens a plain TCP connection to every server of `serverLists`. Resolves with `host:port CODE` for each server when
 * every one failed with a code of `DOWN_CODES`; with `undefined` as soon as one connects or fails otherwise, or when
 * `signal` aborts (a silent server leaves its connection pending until then).
 */
export function probeServers(serverLists: string, signal: AbortSignal): Promise<string[] | undefined> {
  const servers = serverAddresses(serverLists);
  return new Promise((resolve) => {
    const sockets: Socket[] = [];
    const refusals: string[] = [];
    let settled = false;
    const finish = (result?: string[]) => {
      if (!settled) {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        sockets.forEach((socket) => socket.destroy());
        resolve(result);
      }
    };
    const onAbort = () => finish();
    signal.addEventListener('abort', onAbort);
    if (signal.aborted || servers.length === 0 || servers.some(({ port }) => !Number.isInteger(port))) {
      finish();
      return;
    }
    servers.forEach(({ host, port }, index) => {
      let socket: Socket;
      try {
        socket = createConnection({ host, port });
      } catch {
        finish(); // not an address a connection can be opened to: leave the verdict to the client
        return;
      }
      sockets.push(socket);
      socket.once('connect', () => finish());
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!DOWN_CODES.has(error.code ?? '')) {
          finish();
          return;
        }
        refusals[index] = `${host}:${port} ${error.code}`;
        if (refusals.filter(Boolean).length === servers.length) {
          finish(refusals);
        }
      });
    });
  });
}
