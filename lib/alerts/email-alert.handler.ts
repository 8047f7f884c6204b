import type { AlertBatch } from './alert-batch.interface';
import { AlertJobErrorHandler } from './alert-job-error.handler';
import { AlertPropsReader } from './alert-props.reader';
import { alertText } from './alert-text.formatter';
import { EmailServer, EmailTransports } from './email.transports';

/** The job props that configure the `EMAIL` alert (ElasticJob's names; `email.debug` is accepted and ignored). */
export const EMAIL_PROPS = {
  host: 'email.host',
  port: 'email.port',
  username: 'email.username',
  password: 'email.password',
  useSsl: 'email.useSsl',
  subject: 'email.subject',
  from: 'email.from',
  to: 'email.to',
  cc: 'email.cc',
  bcc: 'email.bcc',
} as const;

/** ElasticJob's subject of an error mail. */
export const DEFAULT_EMAIL_SUBJECT = 'ElasticJob error message';

/** The settings of an `EMAIL` alert. */
export interface EmailAlertSettings extends EmailServer {
  readonly subject: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
}

/**
 * `EMAIL`: mails the failures, with their stacks, through an SMTP server (nodemailer). `email.useSsl` defaults to
 * `true`, as in ElasticJob: set it to `false` for a server on port 25 or 587 (STARTTLS is then used when offered).
 */
export class EmailJobErrorHandler extends AlertJobErrorHandler<EmailAlertSettings> {
  readonly type = 'EMAIL';
  private readonly transports = new EmailTransports();

  protected readSettings(jobName: string, props: Readonly<Record<string, string>>): EmailAlertSettings {
    const reader = new AlertPropsReader(jobName, props);
    return {
      host: reader.required(EMAIL_PROPS.host),
      port: reader.port(EMAIL_PROPS.port),
      secure: reader.boolean(EMAIL_PROPS.useSsl, true),
      username: reader.optional(EMAIL_PROPS.username),
      password: reader.optional(EMAIL_PROPS.password),
      subject: reader.optional(EMAIL_PROPS.subject) ?? DEFAULT_EMAIL_SUBJECT,
      from: reader.required(EMAIL_PROPS.from),
      to: reader.requiredList(EMAIL_PROPS.to),
      cc: reader.list(EMAIL_PROPS.cc),
      bcc: reader.list(EMAIL_PROPS.bcc),
    };
  }

  protected deliver(batch: AlertBatch, settings: EmailAlertSettings): Promise<void> {
    const { from, to, cc, bcc, subject } = settings;
    return this.transports.send(settings, {
      from,
      to: [...to],
      cc: cc.length > 0 ? [...cc] : undefined,
      bcc: bcc.length > 0 ? [...bcc] : undefined,
      subject,
      text: alertText(batch, { stacks: true }),
    });
  }

  protected release(): Promise<void> {
    return this.transports.close();
  }

  protected destination(settings: EmailAlertSettings): string {
    return `smtp://${settings.host}:${settings.port}`;
  }
}
