import { runNative } from './native-client.queue';
import { createNativeClient, NativeClient, NOT_CONNECTED_STATE } from './native-client';

/** What a session does as its connection comes, goes or ends. */
export interface ConnectionHooks {
  /** Authenticates a new native client that took the session over, before anything else is sent. */
  authenticateTakeOver(): Promise<void>;
  connected(): void;
  disconnected(): void;
  /** The native client that had the callers' watches set is being given up. */
  replacing(): void;
  /** The session ended on the server's side. */
  expired(): void;
}

/**
 * The native client a session runs on and the session's connection state. When a request's send fails, the C library
 * closes the connection without a word to the package, which keeps watching the closed socket: `replaceIfBroken` then
 * closes that native client at once and goes on with a new one that takes the same session over (its id and
 * password), as the library itself would on a reconnection.
 */
export class SessionConnection {
  private current: NativeClient;
  private connected = false;
  private ended = false;
  /** On a new native client that has not connected (and authenticated) yet: requests fail at once meanwhile. */
  private resuming = false;
  private negotiated = 0;

  constructor(
    private readonly serverLists: string,
    private readonly requestedTimeout: number,
    private readonly hooks: ConnectionHooks,
  ) {
    this.current = this.createClient();
  }

  /** The native client requests go to now. */
  get client(): NativeClient {
    return this.current;
  }

  get isConnected(): boolean {
    return this.connected && !this.ended;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get isResuming(): boolean {
    return this.resuming;
  }

  get sessionId(): string {
    return this.ended ? '' : String(this.current.client_id ?? '');
  }

  /** The session timeout the server granted (it may differ from the one asked for), in milliseconds. */
  get negotiatedTimeout(): number {
    const timeout = this.negotiated || Number(this.current.timeout);
    return timeout > 0 ? timeout : this.requestedTimeout;
  }

  /** Starts connecting, from the native queue. */
  start(): void {
    runNative(() => {
      if (!this.ended) {
        this.current.init({});
      }
    });
  }

  /**
   * Ends the session on our side; false when it had ended already. The native client current when the queue gets there
   * (a replacement, maybe) sends the close request and frees the native handle.
   */
  close(): boolean {
    if (this.ended) {
      return false;
    }
    this.ended = true;
    this.connected = false;
    this.resuming = false;
    runNative(() => this.current.close());
    return true;
  }

  /**
   * After a send on `client`, from the native queue: when the C library closed its socket (the package still watches
   * it), closes the client now (that drops its poll handle; its pending requests fail with `CLOSING`, which callers
   * retry) and takes the session over with a new one.
   */
  replaceIfBroken(client: NativeClient): void {
    if (client !== this.current || client.state !== NOT_CONNECTED_STATE) {
      return;
    }
    const clientId = client.client_id;
    const password = client.client_password;
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.close();
    if (this.ended) {
      return;
    }
    this.hooks.replacing();
    const wasConnected = this.connected;
    this.connected = false;
    this.resuming = true;
    this.current = this.createClient();
    this.current.init({ client_id: clientId, client_password: password });
    if (wasConnected) {
      this.hooks.disconnected();
    }
  }

  /** A native client with this session's listeners; `init` starts it. */
  private createClient(): NativeClient {
    const client = createNativeClient({
      connect: this.serverLists,
      timeout: this.requestedTimeout,
      debug_level: 0,
      host_order_deterministic: false,
    });
    client.on('connect', () => {
      if (client !== this.current || this.ended) {
        return;
      }
      this.negotiated = Number(client.timeout) || this.negotiated;
      if (!this.resuming) {
        this.connected = true;
        this.hooks.connected();
        return;
      }
      // A new native client took the session over: authenticate it before anything else is sent, then give the
      // watches of the old one their events.
      this.hooks.authenticateTakeOver().then(
        () => {
          if (client === this.current && !this.ended) {
            this.resuming = false;
            this.connected = true;
            this.hooks.connected();
          }
        },
        // Refused: the library ends the session (a close event). Lost again: the next connection tries again.
        () => undefined,
      );
    });
    client.on('connecting', () => {
      if (client === this.current && this.connected) {
        this.connected = false;
        this.hooks.disconnected();
      }
    });
    // The package's wrapper replaces the close code with itself, so the code cannot be read: a close we did not ask
    // for is the session ending on the server's side (expiry; or a refused authentication, seen as such by open()).
    client.on('close', () => {
      if (client !== this.current) {
        return;
      }
      this.connected = false;
      if (!this.ended) {
        this.ended = true;
        // Free the native handle too: an expired handle left open keeps reconnecting in the background.
        runNative(() => client.close());
        this.hooks.expired();
      }
    });
    client.on('error', () => undefined);
    return client;
  }
}
