import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createNetServer, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import {
  ALERT_ERROR_HANDLER_TYPES,
  buildAlertHandlers,
  closeAlertHandlers,
  DingtalkJobErrorHandler,
  EmailJobErrorHandler,
  FlushableJobErrorHandler,
  SlackJobErrorHandler,
  WebhookAlertBody,
  WebhookJobErrorHandler,
  WechatJobErrorHandler,
} from '../../lib/alerts';
import { BUILT_IN_ERROR_HANDLER_TYPES } from '../../lib/config';
import { logger } from '../../lib/elastic-job.logger';
import { JobConfigurationError } from '../../lib/errors';
import { buildErrorHandlers } from '../../lib/executor';
import type { JobErrorContext, JobErrorHandler } from '../../lib/interfaces';

/** What the webhook server saw of one request. */
interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * A real HTTP server on 127.0.0.1 playing every webhook: `/hang` never answers, `/refused` answers like a robot
 * that refuses the message, `/status500` fails, anything else answers like a robot that posted it.
 */
class WebhookServer {
  readonly received: Received[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private base = '';

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(pathAndQuery: string): string {
    return this.base + pathAndQuery;
  }

  on(path: string): Received[] {
    return this.received.filter((each) => each.url.pathname === path);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url!, this.base);
      this.received.push({ method: req.method!, url, headers: req.headers, body: Buffer.concat(chunks) });
      if (url.pathname === '/hang') {
        return; // never answers
      }
      if (url.pathname === '/status500') {
        res.writeHead(500).end('internal error');
        return;
      }
      const answer =
        url.pathname === '/refused'
          ? { errcode: 310000, errmsg: 'keywords not in content' }
          : { errcode: 0, errmsg: 'ok' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  }
}

/** One mail as the SMTP server received it. */
interface Mail {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 (plain, no STARTTLS, no authentication) that keeps every mail. */
async function startSmtpServer(mails: Mail[]): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        mails.push({
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: rcptTo.map((each) => each.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return { server, port: (server.server.address() as AddressInfo).port };
}

/** The headers (unfolded, by lower-case name) and the decoded text of a single-part mail. */
function parseMail(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.slice(split + 4);
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

/** A port that nothing listens on (it was free a moment ago). */
async function deadPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `probe` until it holds; fails after the deadline saying what was awaited. */
async function until(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const JOB = 'alertJob';
const INSTANCE = '10.0.0.7@-@4242';
const FIRE_TIME = Date.UTC(2024, 4, 1, 10, 0, 0);
let executions = 0;

/** The context of a new execution of JOB (its own task id and fire time). */
function contextOf(props: Record<string, string>): JobErrorContext {
  executions++;
  return {
    jobName: JOB,
    taskId: `${JOB}@-@0,1,2@-@READY@-@10.0.0.7@-@${executions}`,
    instanceId: INSTANCE,
    fireTime: FIRE_TIME + executions * 1000,
    executionSource: 'NORMAL_TRIGGER',
    props,
  };
}

const jsonOf = (received: Received) => JSON.parse(received.body.toString('utf8'));
const contentOf = (received: Received): string => jsonOf(received).text.content;
const warnings = (spy: jest.SpyInstance) => spy.mock.calls.map((call) => String(call[0]));

describe('alert error handlers', () => {
  const webhooks = new WebhookServer();
  const mails: Mail[] = [];
  let smtp: { server: SMTPServer; port: number };
  let handlers: FlushableJobErrorHandler[] = [];
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  /** A handler closed after the test. */
  function track<T extends FlushableJobErrorHandler>(handler: T): T {
    handlers.push(handler);
    return handler;
  }

  beforeAll(async () => {
    await webhooks.start();
    smtp = await startSmtpServer(mails);
  });

  afterAll(async () => {
    await webhooks.stop();
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
  });

  beforeEach(() => {
    webhooks.received.length = 0;
    mails.length = 0;
    // Kept quiet and observed: the handlers log every failure, and warn about undelivered alerts.
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await closeAlertHandlers(handlers);
    handlers = [];
    jest.restoreAllMocks();
  });

  describe('payloads', () => {
    it('DINGTALK posts a text message with the keyword, signed with timestamp and sign', async () => {
      const handler = track(new DingtalkJobErrorHandler());
      const secret = 'SEC0123456789abcdef+/=';
      const context = contextOf({
        'dingtalk.webhook': webhooks.url('/dingtalk?access_token=tok123'),
        'dingtalk.keyword': 'ElasticJobAlert',
        'dingtalk.secret': secret,
      });
      const before = Date.now();
      handler.handleException(JOB, new Error('boom in item 2'), 2, undefined, context);
      await until(() => webhooks.on('/dingtalk').length === 1, 'the DingTalk message');

      const [received] = webhooks.on('/dingtalk');
      expect(received.method).toBe('POST');
      expect(received.headers['content-type']).toMatch(/^application\/json/);
      const query = received.url.searchParams;
      expect(query.get('access_token')).toBe('tok123');
      const timestamp = Number(query.get('timestamp'));
      expect(timestamp).toBeGreaterThanOrEqual(before);
      expect(timestamp).toBeLessThanOrEqual(Date.now());
      const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
      expect(query.get('sign')).toBe(expected);
      // URL-encoded once, as DingTalk decodes it: the Base64 '+', '/' and '=' must not be sent raw.
      expect(received.url.search).toContain(`sign=${encodeURIComponent(expected)}`);

      const payload = jsonOf(received);
      expect(Object.keys(payload).sort()).toEqual(['msgtype', 'text']);
      expect(payload.msgtype).toBe('text');
      expect(Object.keys(payload.text)).toEqual(['content']);
      const content: string = payload.text.content;
      expect(content).toContain('ElasticJobAlert');
      expect(content).toContain(`"${JOB}"`);
      expect(content).toContain(INSTANCE);
      expect(content).toContain(new Date(context.fireTime).toISOString());
      expect(content).toContain('NORMAL_TRIGGER');
      expect(content).toContain('item 2: boom in item 2');
      // Logged like LOG does, too.
      expect(error.mock.calls.map((call) => String(call[0]))).toEqual([
        expect.stringMatching(/^Job "alertJob" item 2 failed: Error: boom in item 2/),
      ]);
    });

    it('DINGTALK without a secret posts to the webhook as it is', async () => {
      const handler = track(new DingtalkJobErrorHandler());
      handler.handleException(
        JOB,
        new Error('x'),
        0,
        undefined,
        contextOf({ 'dingtalk.webhook': webhooks.url('/plain?access_token=t') }),
      );
      await handler.flush();
      expect(webhooks.on('/plain').map((each) => each.url.search)).toEqual(['?access_token=t']);
      expect(contentOf(webhooks.on('/plain')[0])).toMatch(/^Job "alertJob" failed/);
    });

    it('WECHAT posts a WeCom text message', async () => {
      const handler = track(new WechatJobErrorHandler());
      const context = contextOf({ 'wechat.webhook': webhooks.url('/wecom?key=k') });
      handler.handleException(JOB, new Error('wecom boom'), 1, undefined, context);
      await until(() => webhooks.on('/wecom').length === 1, 'the WeCom message');

      const payload = jsonOf(webhooks.on('/wecom')[0]);
      expect(Object.keys(payload).sort()).toEqual(['msgtype', 'text']);
      expect(payload.msgtype).toBe('text');
      expect(Object.keys(payload.text)).toEqual(['content']);
      expect(payload.text.content).toContain('item 1: wecom boom');
      expect(payload.text.content).toContain(new Date(context.fireTime).toISOString());
    });

    it('SLACK posts { text } to the incoming webhook, markup escaped', async () => {
      const handler = track(new SlackJobErrorHandler());
      handler.handleException(
        JOB,
        new Error('bad <tag> & more'),
        0,
        undefined,
        contextOf({ 'slack.webhook': webhooks.url('/services/T0/B0/xyz') }),
      );
      await until(() => webhooks.on('/services/T0/B0/xyz').length === 1, 'the Slack message');

      const payload = jsonOf(webhooks.on('/services/T0/B0/xyz')[0]);
      expect(Object.keys(payload)).toEqual(['text']);
      expect(payload.text).toContain('item 0: bad &lt;tag&gt; &amp; more');
      expect(payload.text).toContain(INSTANCE);
    });

    it('WEBHOOK posts the execution and its failures as JSON, signed with X-ElasticJob-Signature', async () => {
      const handler = track(new WebhookJobErrorHandler());
      const secret = 'hook-secret';
      const context = contextOf({ 'webhook.url': webhooks.url('/hook'), 'webhook.secret': secret });
      const first = new Error('first failure');
      handler.handleException(JOB, first, 1, undefined, context);
      handler.handleException(JOB, 'not an Error', 2, undefined, context);
      await until(() => webhooks.on('/hook').length === 1, 'the webhook');

      const [received] = webhooks.on('/hook');
      const signature = createHmac('sha256', secret).update(received.body).digest('hex');
      expect(received.headers['x-elasticjob-signature']).toBe(signature);
      const body: WebhookAlertBody = jsonOf(received);
      expect(body).toEqual({
        jobName: JOB,
        shardingItem: 1,
        instanceId: INSTANCE,
        fireTime: context.fireTime,
        executionSource: 'NORMAL_TRIGGER',
        taskId: context.taskId,
        error: { message: 'first failure', stack: first.stack },
        failures: [
          { shardingItem: 1, error: { message: 'first failure', stack: first.stack } },
          { shardingItem: 2, error: { message: 'not an Error' } },
        ],
      });
    });

    it('WEBHOOK without a secret sends no signature', async () => {
      const handler = track(new WebhookJobErrorHandler());
      handler.handleException(
        JOB,
        new Error('x'),
        0,
        undefined,
        contextOf({ 'webhook.url': webhooks.url('/unsigned') }),
      );
      await handler.flush();
      expect(webhooks.on('/unsigned')).toHaveLength(1);
      expect(webhooks.on('/unsigned')[0].headers['x-elasticjob-signature']).toBeUndefined();
    });

    it('EMAIL mails from/to/cc (bcc in the envelope only) with the subject, the job, the item, the error and its stack', async () => {
      const handler = track(new EmailJobErrorHandler());
      const props = {
        'email.host': '127.0.0.1',
        'email.port': String(smtp.port),
        'email.useSsl': 'false',
        'email.from': 'elasticjob@example.com',
        'email.to': 'ops@example.com, dev@example.com',
        'email.cc': 'lead@example.com',
        'email.bcc': 'audit@example.com',
        'email.debug': 'true',
      };
      const failure = new Error('disk full');
      handler.handleException(JOB, failure, 1, undefined, contextOf(props));
      await until(() => mails.length === 1, 'the mail');

      const [mail] = mails;
      expect(mail.mailFrom).toBe('elasticjob@example.com');
      expect(mail.rcptTo.sort()).toEqual([
        'audit@example.com',
        'dev@example.com',
        'lead@example.com',
        'ops@example.com',
      ]);
      const { headers, text } = parseMail(mail.raw);
      expect(headers.get('from')).toBe('elasticjob@example.com');
      expect(headers.get('to')).toBe('ops@example.com, dev@example.com');
      expect(headers.get('cc')).toBe('lead@example.com');
      expect(headers.has('bcc')).toBe(false);
      expect(headers.get('subject')).toBe('ElasticJob error message');
      expect(text).toContain(`Job "${JOB}" failed`);
      expect(text).toContain(INSTANCE);
      expect(text).toContain('item 1: disk full');
      expect(text).toContain(failure.stack!.split('\n')[1].trim());
    });

    it('EMAIL uses email.subject and reuses its transporter for the next mail', async () => {
      const handler = track(new EmailJobErrorHandler());
      const props = {
        'email.host': '127.0.0.1',
        'email.port': String(smtp.port),
        'email.useSsl': 'false',
        'email.subject': 'Nightly job failed',
        'email.from': 'elasticjob@example.com',
        'email.to': 'ops@example.com',
      };
      handler.handleException(JOB, new Error('one'), 0, undefined, contextOf(props));
      await handler.flush();
      handler.handleException(JOB, new Error('two'), 0, undefined, contextOf({ ...props }));
      await handler.flush();
      expect(mails.map((mail) => parseMail(mail.raw).headers.get('subject'))).toEqual([
        'Nightly job failed',
        'Nightly job failed',
      ]);
      expect(mails.map((mail) => parseMail(mail.raw).text.match(/item 0: (\w+)/)?.[1])).toEqual(['one', 'two']);
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe('batching', () => {
    it('sends the three failures of one execution as one message listing the three items', async () => {
      const handler = track(new SlackJobErrorHandler());
      const context = contextOf({ 'slack.webhook': webhooks.url('/batch') });
      for (const item of [0, 1, 2]) {
        handler.handleException(JOB, new Error(`failure of ${item}`), item, undefined, context);
      }
      await until(() => webhooks.on('/batch').length >= 1, 'the batch');
      await handler.flush();

      expect(webhooks.on('/batch')).toHaveLength(1);
      const text: string = jsonOf(webhooks.on('/batch')[0]).text;
      expect(text).toContain('3 failure(s)');
      expect(text).toContain('item 0: failure of 0');
      expect(text).toContain('item 1: failure of 1');
      expect(text).toContain('item 2: failure of 2');
    });

    it('sends the failures of two executions as two messages', async () => {
      const handler = track(new WebhookJobErrorHandler());
      const props = { 'webhook.url': webhooks.url('/two') };
      const [a, b] = [contextOf(props), contextOf(props)];
      handler.handleException(JOB, new Error('a0'), 0, undefined, a);
      handler.handleException(JOB, new Error('b0'), 0, undefined, b);
      handler.handleException(JOB, new Error('a1'), 1, undefined, a);
      await until(() => webhooks.on('/two').length >= 2, 'two messages');
      await handler.flush();

      const bodies: WebhookAlertBody[] = webhooks.on('/two').map(jsonOf);
      expect(bodies).toHaveLength(2);
      const byTask = new Map(bodies.map((body) => [body.taskId, body.failures.map((each) => each.error.message)]));
      expect(byTask).toEqual(
        new Map([
          [a.taskId, ['a0', 'a1']],
          [b.taskId, ['b0']],
        ]),
      );
    });

    it('cuts a steady stream of failures of one execution at 2 s', async () => {
      const handler = track(new WebhookJobErrorHandler());
      const context = contextOf({ 'webhook.url': webhooks.url('/stream') });
      const started = Date.now();
      let sent = 0;
      let firstSeenAfter: number | undefined;
      // A failure every 100 ms for 3 s: never 200 ms of quiet, so only the 2 s limit can send the batch.
      while (Date.now() - started < 3000) {
        handler.handleException(JOB, new Error(`f${sent}`), sent, undefined, context);
        sent++;
        if (firstSeenAfter === undefined && webhooks.on('/stream').length > 0) {
          firstSeenAfter = Date.now() - started;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const total = () =>
        webhooks.on('/stream').reduce((sum, each) => sum + (jsonOf(each) as WebhookAlertBody).failures.length, 0);
      await until(() => total() === sent, 'every failure to be sent');

      expect(firstSeenAfter).toBeDefined();
      expect(firstSeenAfter).toBeGreaterThanOrEqual(1900);
      expect(firstSeenAfter).toBeLessThan(2900);
      expect(webhooks.on('/stream').length).toBeGreaterThanOrEqual(2);
    });

    it('does not alert a failed attempt that is retried; the last failure alerts', async () => {
      const handler = track(new WechatJobErrorHandler());
      const context = contextOf({ 'wechat.webhook': webhooks.url('/retried') });
      handler.handleException(
        JOB,
        new Error('try 1'),
        0,
        { attempt: 1, maxAttempts: 3, retryInMilliseconds: 50 },
        context,
      );
      handler.handleException(
        JOB,
        new Error('try 2'),
        0,
        { attempt: 2, maxAttempts: 3, retryInMilliseconds: 50 },
        context,
      );
      await handler.flush();
      expect(webhooks.on('/retried')).toHaveLength(0);
      expect(warnings(warn)).toEqual([
        expect.stringContaining('(attempt 1 of 3; retrying in 50 ms): Error: try 1'),
        expect.stringContaining('(attempt 2 of 3; retrying in 50 ms): Error: try 2'),
      ]);
      expect(error).not.toHaveBeenCalled();

      handler.handleException(JOB, new Error('try 3'), 0, { attempt: 3, maxAttempts: 3 }, context);
      await until(() => webhooks.on('/retried').length === 1, 'the alert of the last failure');
      const content = contentOf(webhooks.on('/retried')[0]);
      expect(content).toContain('item 0: try 3');
      expect(content).not.toContain('try 1');
      expect(error).toHaveBeenCalledTimes(1);
    });

    it('close() sends what is pending at once', async () => {
      const handler = track(new SlackJobErrorHandler());
      handler.handleException(
        JOB,
        new Error('at shutdown'),
        0,
        undefined,
        contextOf({ 'slack.webhook': webhooks.url('/close') }),
      );
      expect(webhooks.on('/close')).toHaveLength(0);
      await handler.close();
      expect(webhooks.on('/close')).toHaveLength(1);
    });
  });

  describe('failed deliveries', () => {
    it('a port with nothing listening: returns at once, never throws, warns once a minute', async () => {
      const port = await deadPort();
      const handler = track(new WebhookJobErrorHandler());
      const props = { 'webhook.url': `http://127.0.0.1:${port}/alerts` };

      // It returns before the delivery has even been tried: nothing is returned to wait on, nothing warned yet.
      expect(handler.handleException(JOB, new Error('boom'), 0, undefined, contextOf(props))).toBeUndefined();
      expect(warn).not.toHaveBeenCalled();
      await until(() => warn.mock.calls.length > 0, 'the warning');
      await handler.flush();
      expect(warnings(warn)).toEqual([
        expect.stringMatching(/^Job "alertJob": the WEBHOOK alert was not delivered: .*ECONNREFUSED/),
      ]);
      expect(warnings(warn)[0]).not.toContain('/alerts');

      expect(() => handler.handleException(JOB, new Error('again'), 0, undefined, contextOf(props))).not.toThrow();
      await handler.flush();
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it('a server that never answers: the read timeout ends the delivery, one warning', async () => {
      const handler = track(new SlackJobErrorHandler());
      const props = { 'slack.webhook': webhooks.url('/hang'), 'slack.read.timeout.milliseconds': '300' };

      expect(handler.handleException(JOB, new Error('boom'), 0, undefined, contextOf(props))).toBeUndefined();
      expect(webhooks.on('/hang')).toHaveLength(0);
      await until(() => warn.mock.calls.length > 0, 'the warning', 5000);
      expect(webhooks.on('/hang')).toHaveLength(1);
      expect(warnings(warn)).toEqual([expect.stringContaining('read timed out after 300 ms')]);

      handler.handleException(JOB, new Error('again'), 0, undefined, contextOf(props));
      await handler.flush();
      expect(webhooks.on('/hang')).toHaveLength(2);
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it('counts the warnings held back and says how many in the next one', async () => {
      let now = 1_000_000;
      const handler = track(new WechatJobErrorHandler({ now: () => now }));
      const props = { 'wechat.webhook': webhooks.url('/status500') };
      for (let i = 0; i < 3; i++) {
        handler.handleException(JOB, new Error(`f${i}`), 0, undefined, contextOf(props));
        await handler.flush();
      }
      expect(warnings(warn)).toEqual([expect.stringContaining('answered status 500: internal error')]);
      now += 60_000;
      handler.handleException(JOB, new Error('f3'), 0, undefined, contextOf(props));
      await handler.flush();
      expect(warnings(warn)).toHaveLength(2);
      expect(warnings(warn)[1]).toContain('2 more such warning(s) in the last 60 s were not logged');
    });

    it('a robot that answers 200 with an errcode is a failed delivery', async () => {
      const handler = track(new DingtalkJobErrorHandler());
      handler.handleException(
        JOB,
        new Error('x'),
        0,
        undefined,
        contextOf({ 'dingtalk.webhook': webhooks.url('/refused') }),
      );
      await handler.flush();
      expect(webhooks.on('/refused')).toHaveLength(1);
      expect(warnings(warn)).toEqual([expect.stringContaining('errcode 310000: keywords not in content')]);
    });

    it('without a context, or with props that became invalid, warns (once per job) and does not throw', async () => {
      const handler = track(new EmailJobErrorHandler());
      expect(() => handler.handleException(JOB, new Error('x'), 0)).not.toThrow();
      expect(() => handler.handleException(JOB, new Error('y'), 1)).not.toThrow();
      expect(warnings(warn)).toEqual([expect.stringContaining('without the execution context')]);

      const other = track(new DingtalkJobErrorHandler());
      other.handleException('otherJob', new Error('z'), 0, undefined, { ...contextOf({}), jobName: 'otherJob' });
      await other.flush();
      expect(warnings(warn)[1]).toBe(
        'Job "otherJob": the DINGTALK alert was not delivered: Job "otherJob": "props.dingtalk.webhook" is required',
      );
    });
  });

  describe('checkProps', () => {
    const webhook = 'https://hooks.example.com/x';
    const email = {
      'email.host': 'smtp.example.com',
      'email.port': '465',
      'email.from': 'a@example.com',
      'email.to': 'b@example.com',
    };

    it.each<[string, JobErrorHandler, Record<string, string>, string, string]>([
      ['missing webhook', new DingtalkJobErrorHandler(), {}, 'dingtalk.webhook', 'is required'],
      ['empty webhook', new WechatJobErrorHandler(), { 'wechat.webhook': '' }, 'wechat.webhook', 'is required'],
      ['not a URL', new WechatJobErrorHandler(), { 'wechat.webhook': 'not a url' }, 'wechat.webhook', 'not a URL'],
      ['not http(s)', new SlackJobErrorHandler(), { 'slack.webhook': 'ftp://x/y' }, 'slack.webhook', 'http: or https:'],
      ['missing url', new WebhookJobErrorHandler(), { 'webhook.secret': 's' }, 'webhook.url', 'is required'],
      [
        'zero timeout',
        new WebhookJobErrorHandler(),
        { 'webhook.url': webhook, 'webhook.read.timeout.milliseconds': '0' },
        'webhook.read.timeout.milliseconds',
        'positive integer',
      ],
      [
        'fractional timeout',
        new DingtalkJobErrorHandler(),
        { 'dingtalk.webhook': webhook, 'dingtalk.connect.timeout.milliseconds': '1.5' },
        'dingtalk.connect.timeout.milliseconds',
        'positive integer',
      ],
      [
        'bad timeout under ElasticJob 3.0 name',
        new DingtalkJobErrorHandler(),
        { 'dingtalk.webhook': webhook, 'dingtalk.connectTimeoutMilliseconds': 'abc' },
        'dingtalk.connectTimeoutMilliseconds',
        'positive integer',
      ],
      ['missing host', new EmailJobErrorHandler(), { ...email, 'email.host': '' }, 'email.host', 'is required'],
      ['missing port', new EmailJobErrorHandler(), { ...email, 'email.port': '' }, 'email.port', 'is required'],
      ['bad port', new EmailJobErrorHandler(), { ...email, 'email.port': 'abc' }, 'email.port', 'a port'],
      ['port too big', new EmailJobErrorHandler(), { ...email, 'email.port': '70000' }, 'email.port', 'a port'],
      ['bad useSsl', new EmailJobErrorHandler(), { ...email, 'email.useSsl': 'yes' }, 'email.useSsl', 'true or false'],
      ['missing from', new EmailJobErrorHandler(), { ...email, 'email.from': '' }, 'email.from', 'is required'],
      ['empty to', new EmailJobErrorHandler(), { ...email, 'email.to': ' , ' }, 'email.to', 'at least one'],
    ])('rejects %s', (_label, handler, props, field, reason) => {
      let thrown: unknown;
      try {
        handler.checkProps!(JOB, props);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(JobConfigurationError);
      const error = thrown as JobConfigurationError;
      expect(error.field).toBe(field);
      expect(error.jobName).toBe(JOB);
      expect(error.message).toContain(`Job "${JOB}"`);
      expect(error.message).toContain(`"props.${field}"`);
      expect(error.message).toContain(reason);
    });

    it('accepts valid props', () => {
      expect(() =>
        new DingtalkJobErrorHandler().checkProps(JOB, {
          'dingtalk.webhook': webhook,
          'dingtalk.secret': 's',
          'dingtalk.connect.timeout.milliseconds': '1000',
          'dingtalk.readTimeoutMilliseconds': '2000',
        }),
      ).not.toThrow();
      expect(() => new WechatJobErrorHandler().checkProps(JOB, { 'wechat.webhook': webhook })).not.toThrow();
      expect(() => new SlackJobErrorHandler().checkProps(JOB, { 'slack.webhook': webhook })).not.toThrow();
      expect(() =>
        new WebhookJobErrorHandler().checkProps(JOB, { 'webhook.url': 'http://127.0.0.1:1/x' }),
      ).not.toThrow();
      expect(() => new EmailJobErrorHandler().checkProps(JOB, { ...email, 'email.useSsl': 'TRUE' })).not.toThrow();
    });
  });

  describe('registration', () => {
    it('builds one handler of each alert type, built in after LOG, THROW and IGNORE', () => {
      expect(buildAlertHandlers().map((handler) => handler.type)).toEqual([...ALERT_ERROR_HANDLER_TYPES]);
      const custom: JobErrorHandler = { type: 'AUDIT', handleException: () => undefined };
      expect([...buildErrorHandlers([custom]).keys()]).toEqual([
        'LOG',
        'THROW',
        'IGNORE',
        'DINGTALK',
        'WECHAT',
        'SLACK',
        'WEBHOOK',
        'EMAIL',
        'AUDIT',
      ]);
      expect(BUILT_IN_ERROR_HANDLER_TYPES).toEqual(expect.arrayContaining([...ALERT_ERROR_HANDLER_TYPES]));
    });
  });
});
