import { createHmac } from 'node:crypto';
import type { AlertBatch } from './alert-batch.interface';
import type { HttpAlertTarget } from './alert-http.delivery';
import { AlertPropsReader } from './alert-props.reader';
import { alertText } from './alert-text.formatter';
import { checkRobotAnswer } from './chat-robot.answer';
import { HttpAlertJobErrorHandler, HttpAlertRequest, jsonBody, readHttpTarget } from './http-alert.handler';

/** The job props that configure the `DINGTALK` alert (ElasticJob's names). */
export const DINGTALK_PROPS = {
  webhook: 'dingtalk.webhook',
  keyword: 'dingtalk.keyword',
  secret: 'dingtalk.secret',
  connectTimeout: 'dingtalk.connect.timeout.milliseconds',
  readTimeout: 'dingtalk.read.timeout.milliseconds',
} as const;

/** The settings of a `DINGTALK` alert. */
export interface DingtalkAlertSettings extends HttpAlertTarget {
  /** The robot's custom keyword: a message without it is refused. */
  readonly keyword?: string;
  /** The robot's signing secret ("加签"). */
  readonly secret?: string;
}

/** DingTalk refuses a text message longer than about 20000 bytes; the margin keeps the JSON under it. */
const MAX_CONTENT_BYTES = 18_000;

/** DingTalk's signature of a request: Base64(HmacSHA256(key = secret, data = `${timestamp}\n${secret}`)). */
export function dingtalkSignature(timestamp: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

/** The webhook with `timestamp` and `sign` added, the sign URL-encoded (DingTalk checks it within an hour). */
export function signedDingtalkUrl(webhook: URL, secret: string, timestamp = Date.now()): URL {
  const url = new URL(webhook);
  // Appended as text, so that the webhook's own query (access_token) is kept byte for byte.
  const added = `timestamp=${timestamp}&sign=${encodeURIComponent(dingtalkSignature(timestamp, secret))}`;
  url.search = url.search ? `${url.search}&${added}` : `?${added}`;
  return url;
}

/**
 * `DINGTALK`: posts a text message to a DingTalk group robot (`dingtalk.webhook`), with the keyword and signature
 * the robot's security settings ask for.
 */
export class DingtalkJobErrorHandler extends HttpAlertJobErrorHandler<DingtalkAlertSettings> {
  readonly type = 'DINGTALK';

  protected readSettings(jobName: string, props: Readonly<Record<string, string>>): DingtalkAlertSettings {
    const reader = new AlertPropsReader(jobName, props);
    return {
      ...readHttpTarget(reader, {
        url: DINGTALK_PROPS.webhook,
        connectTimeout: DINGTALK_PROPS.connectTimeout,
        readTimeout: DINGTALK_PROPS.readTimeout,
        connectTimeoutAlias: 'dingtalk.connectTimeoutMilliseconds',
        readTimeoutAlias: 'dingtalk.readTimeoutMilliseconds',
      }),
      keyword: reader.optional(DINGTALK_PROPS.keyword),
      secret: reader.optional(DINGTALK_PROPS.secret),
    };
  }

  protected request(batch: AlertBatch, settings: DingtalkAlertSettings): HttpAlertRequest {
    const { keyword, secret } = settings;
    const prefix = keyword ? `${keyword}\n` : '';
    const text = alertText(batch, {
      maxItems: 50,
      maxMessageChars: 500,
      maxBytes: MAX_CONTENT_BYTES - Buffer.byteLength(prefix, 'utf8'),
    });
    return {
      // Signed at each request: DingTalk refuses a timestamp more than an hour old.
      url: secret ? signedDingtalkUrl(settings.url, secret) : settings.url,
      body: jsonBody({ msgtype: 'text', text: { content: prefix + text } }),
    };
  }

  protected checkAnswer(answer: string): void {
    checkRobotAnswer(answer);
  }
}
