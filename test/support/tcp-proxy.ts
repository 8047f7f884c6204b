import { createConnection, createServer, Server, Socket } from 'node:net';
import { freePort } from './zookeeper-server';

/**
 * A TCP proxy between one client and a server, so that a test can cut the connection and restore it: either closed
 * (both directions, new connections refused), or silent (connections stay open but nothing gets through, as in a
 * network partition, where the client only notices by its own timeouts).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  private silent = false;

  private readonly server: Server;

  private constructor(
    private readonly targetPort: number,
    readonly port: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, await freePort());
    await new Promise<void>((resolve) => proxy.server.listen(proxy.port, '127.0.0.1', resolve));
    return proxy;
  }

  private accept(client: Socket): void {
    if (this.cutOff) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(from);
      from.on('data', (chunk) => {
        if (!this.silent) {
          to.write(chunk);
        }
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones; with `silent`, keeps them open but lets nothing through. */
  cut(options: { silent?: boolean } = {}): void {
    if (options.silent) {
      this.silent = true;
      return;
    }
    this.cutOff = true;
    this.sockets.forEach((socket) => socket.destroy());
  }

  /** Lets traffic through again (after a silent cut, the connections that stayed open carry on). */
  restore(): void {
    this.cutOff = false;
    this.silent = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
