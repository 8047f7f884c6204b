import { Logger } from '@nestjs/common';
import type { RegistryCenterStats } from './registry-center.interface';
import type { SessionKeeper } from './session-keeper';

/**
 * The share of the session timeout an instance may go without an answer from ZooKeeper before it gives up its lease:
 * it then starts no item and aborts the running ones. The server cannot expire the session before a full timeout
 * after the last answered request was sent, so the other half is the margin in which the items stop before anyone
 * else may take them.
 */
export const LEASE_FRACTION = 0.5;
// A heartbeat is sent when nothing was answered for this share of the session timeout.
const HEARTBEAT_FRACTION = 0.2;

/** What the lease needs besides the session: whether the center is closed, its counters, and whom to tell. */
export interface LeaseHost {
  isClosed(): boolean;
  readonly stats: RegistryCenterStats;
  /** The lease was lost (`false`) or regained (`true`). */
  changed(held: boolean): void;
}

/**
 * This instance's lease: held while ZooKeeper answered a request sent less than `LEASE_FRACTION` of the session timeout
 * ago. Checked on a timer and on connection events; a heartbeat renews it when nothing was answered lately, and a
 * session disconnected for a whole session timeout is given up.
 */
export class Lease {
  private held = false;
  private timer?: NodeJS.Timeout;
  private heartbeating = false;

  constructor(
    private readonly keeper: SessionKeeper,
    private readonly logger: Logger,
    private readonly host: LeaseHost,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** The lease: `LEASE_FRACTION` of the session timeout the server granted. */
  get milliseconds(): number {
    return Math.floor(this.keeper.sessionTimeout * LEASE_FRACTION);
  }

  start(): void {
    if (this.timer) {
      return;
    }
    const every = Math.min(1000, Math.max(20, Math.floor(this.keeper.sessionTimeout / 20)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
    this.check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Renews the lease with a heartbeat when nothing was answered lately, and reports when it is lost or regained. */
  check(): void {
    const session = this.keeper.session;
    const timeout = this.keeper.sessionTimeout;
    const age = session && !session.isEnded ? Date.now() - session.lastContact : Infinity;
    if (session && !session.isConnected && Number.isFinite(age) && age > timeout) {
      this.keeper.abandon(session);
      return;
    }
    if (age >= timeout * HEARTBEAT_FRACTION) {
      this.heartbeat();
    }
    const closed = this.host.isClosed();
    const held = !closed && age < timeout * LEASE_FRACTION;
    if (held !== this.held) {
      this.held = held;
      if (held) {
        this.logger.log(`ZooKeeper lease regained (session ${this.keeper.sessionId})`);
      } else if (!closed) {
        this.logger.warn(
          `ZooKeeper lease lost: no answer for ${Number.isFinite(age) ? `${age} ms` : 'the whole session'} ` +
            `(lease ${this.milliseconds} ms); starting no item and aborting running ones`,
        );
      }
      this.host.changed(held);
    }
  }

  /** Sends one cheap read, whose answer renews the lease; one at a time. */
  heartbeat(): void {
    const session = this.keeper.session;
    if (this.heartbeating || !session?.isConnected) {
      return;
    }
    this.heartbeating = true;
    this.host.stats.reads++;
    session
      .exists('/')
      .catch(() => undefined)
      .finally(() => {
        this.heartbeating = false;
        this.check();
      });
  }
}
