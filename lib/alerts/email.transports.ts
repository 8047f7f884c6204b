import type { SendMailOptions, Transporter } from 'nodemailer';

/** The SMTP server an email alert goes through. */
export interface EmailServer {
  readonly host: string;
  readonly port: number;
  /** `true`: TLS from the first byte (SMTPS, usually port 465); `false`: plain, upgraded by STARTTLS when offered. */
  readonly secure: boolean;
  /** No authentication when unset. */
  readonly username?: string;
  readonly password?: string;
}

/**
 * Time limits of an SMTP exchange: nodemailer's own (minutes) would let a dead server hold alerts, and shutdown,
 * for long.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

/**
 * nodemailer transporters, one per distinct server settings, made at the first mail and then reused. nodemailer is
 * loaded then too: an application without email alerts never loads it.
 */
export class EmailTransports {
  private readonly transporters = new Map<string, Promise<Transporter>>();

  /** Sends one mail; rejects with nodemailer's error. */
  async send(server: EmailServer, mail: SendMailOptions): Promise<void> {
    const transporter = await this.transporterFor(server);
    await transporter.sendMail(mail);
  }

  /** Closes every transporter; a later mail makes new ones. */
  async close(): Promise<void> {
    const transporters = [...this.transporters.values()];
    this.transporters.clear();
    for (const transporter of await Promise.allSettled(transporters)) {
      if (transporter.status === 'fulfilled') {
        transporter.value.close();
      }
    }
  }

  private transporterFor(server: EmailServer): Promise<Transporter> {
    const key = JSON.stringify([server.host, server.port, server.secure, server.username, server.password]);
    let transporter = this.transporters.get(key);
    if (!transporter) {
      transporter = import('nodemailer').then((nodemailer) =>
        nodemailer.createTransport({
          host: server.host,
          port: server.port,
          secure: server.secure,
          auth: server.username === undefined ? undefined : { user: server.username, pass: server.password ?? '' },
          ...SMTP_TIMEOUTS,
        }),
      );
      // A failed load is not kept: the next mail tries again.
      transporter.catch(() => this.transporters.delete(key));
      this.transporters.set(key, transporter);
    }
    return transporter;
  }
}
