import type { AlertBatch } from './alert-batch.interface';
import type { HttpAlertTarget } from './alert-http.delivery';
import { AlertPropsReader } from './alert-props.reader';
import { alertText } from './alert-text.formatter';
import { checkRobotAnswer } from './chat-robot.answer';
import { HttpAlertJobErrorHandler, HttpAlertRequest, jsonBody, readHttpTarget } from './http-alert.handler';

/** The job props that configure the `WECHAT` alert (ElasticJob's names). */
export const WECHAT_PROPS = {
  webhook: 'wechat.webhook',
  connectTimeout: 'wechat.connect.timeout.milliseconds',
  readTimeout: 'wechat.read.timeout.milliseconds',
} as const;

/** WeCom refuses a text message longer than 2048 bytes. */
const MAX_CONTENT_BYTES = 2048;

/** `WECHAT`: posts a text message to a WeCom (WeChat Work) group robot (`wechat.webhook`). */
export class WechatJobErrorHandler extends HttpAlertJobErrorHandler<HttpAlertTarget> {
  readonly type = 'WECHAT';

  protected readSettings(jobName: string, props: Readonly<Record<string, string>>): HttpAlertTarget {
    return readHttpTarget(new AlertPropsReader(jobName, props), {
      url: WECHAT_PROPS.webhook,
      connectTimeout: WECHAT_PROPS.connectTimeout,
      readTimeout: WECHAT_PROPS.readTimeout,
      connectTimeoutAlias: 'wechat.connectTimeoutMilliseconds',
      readTimeoutAlias: 'wechat.readTimeoutMilliseconds',
    });
  }

  protected request(batch: AlertBatch): HttpAlertRequest {
    const content = alertText(batch, { maxItems: 10, maxMessageChars: 200, maxBytes: MAX_CONTENT_BYTES });
    return { body: jsonBody({ msgtype: 'text', text: { content } }) };
  }

  protected checkAnswer(answer: string): void {
    checkRobotAnswer(answer);
  }
}
