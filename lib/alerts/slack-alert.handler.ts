import type { AlertBatch } from './alert-batch.interface';
import type { HttpAlertTarget } from './alert-http.delivery';
import { AlertPropsReader } from './alert-props.reader';
import { alertText } from './alert-text.formatter';
import { HttpAlertJobErrorHandler, HttpAlertRequest, jsonBody, readHttpTarget } from './http-alert.handler';

/** The job props that configure the `SLACK` alert. */
export const SLACK_PROPS = {
  webhook: 'slack.webhook',
  connectTimeout: 'slack.connect.timeout.milliseconds',
  readTimeout: 'slack.read.timeout.milliseconds',
} as const;

/** Slack cuts a message's text at 40000 characters; cutting it here keeps the end readable. */
const MAX_TEXT_BYTES = 35_000;

/** Slack reads `&`, `<` and `>` as markup (links, mentions); an error message must show as written. */
export const escapeSlackText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `SLACK`: posts a message to a Slack incoming webhook (`slack.webhook`); Slack answers a refusal with a 4xx. */
export class SlackJobErrorHandler extends HttpAlertJobErrorHandler<HttpAlertTarget> {
  readonly type = 'SLACK';

  protected readSettings(jobName: string, props: Readonly<Record<string, string>>): HttpAlertTarget {
    return readHttpTarget(new AlertPropsReader(jobName, props), {
      url: SLACK_PROPS.webhook,
      connectTimeout: SLACK_PROPS.connectTimeout,
      readTimeout: SLACK_PROPS.readTimeout,
    });
  }

  protected request(batch: AlertBatch): HttpAlertRequest {
    const text = alertText(batch, { maxItems: 50, maxMessageChars: 500, maxBytes: MAX_TEXT_BYTES });
    return { body: jsonBody({ text: escapeSlackText(text) }) };
  }
}
