import { createHmac } from 'node:crypto';
import type { AlertBatch, AlertFailure } from './alert-batch.interface';
import type { HttpAlertTarget } from './alert-http.delivery';
import { AlertPropsReader } from './alert-props.reader';
import { errorMessage, errorStack } from './alert-text.formatter';
import { HttpAlertJobErrorHandler, HttpAlertRequest, jsonBody, readHttpTarget } from './http-alert.handler';

/** The job props that configure the `WEBHOOK` alert. */
export const WEBHOOK_PROPS = {
  url: 'webhook.url',
  secret: 'webhook.secret',
  connectTimeout: 'webhook.connect.timeout.milliseconds',
  readTimeout: 'webhook.read.timeout.milliseconds',
} as const;

/** The header carrying the hex HMAC-SHA256 of the body, keyed with `webhook.secret`. */
export const WEBHOOK_SIGNATURE_HEADER = 'X-ElasticJob-Signature';

/** The settings of a `WEBHOOK` alert. */
export interface WebhookAlertSettings extends HttpAlertTarget {
  readonly secret?: string;
}

/** An error as the webhook's JSON carries it. */
export interface WebhookAlertError {
  readonly message: string;
  /** Absent when the job threw something that is not an Error. */
  readonly stack?: string;
}

/** The JSON body of a `WEBHOOK` alert: the execution, its first failure, and all its failures. */
export interface WebhookAlertBody {
  readonly jobName: string;
  /** The first failure's item (`-1`: not an item's, a hook's). */
  readonly shardingItem: number;
  readonly instanceId: string;
  /** Epoch milliseconds, as in the sharding context. */
  readonly fireTime: number;
  readonly executionSource: string;
  readonly taskId: string;
  /** The first failure's error. */
  readonly error: WebhookAlertError;
  readonly failures: readonly { readonly shardingItem: number; readonly error: WebhookAlertError }[];
}

const errorJson = ({ error }: AlertFailure): WebhookAlertError => ({
  message: errorMessage(error),
  stack: errorStack(error),
});

/** The body reporting `batch`. */
export function webhookAlertBody({ context, failures }: AlertBatch): WebhookAlertBody {
  return {
    jobName: context.jobName,
    shardingItem: failures[0].shardingItem,
    instanceId: context.instanceId,
    fireTime: context.fireTime,
    executionSource: context.executionSource,
    taskId: context.taskId,
    error: errorJson(failures[0]),
    failures: failures.map((failure) => ({ shardingItem: failure.shardingItem, error: errorJson(failure) })),
  };
}

/**
 * `WEBHOOK`: POSTs the failures as JSON (`WebhookAlertBody`) to `webhook.url`; with `webhook.secret`, the header
 * `X-ElasticJob-Signature` is the hex HMAC-SHA256 of the exact body bytes, so that the receiver can trust it.
 */
export class WebhookJobErrorHandler extends HttpAlertJobErrorHandler<WebhookAlertSettings> {
  readonly type = 'WEBHOOK';

  protected readSettings(jobName: string, props: Readonly<Record<string, string>>): WebhookAlertSettings {
    const reader = new AlertPropsReader(jobName, props);
    return {
      ...readHttpTarget(reader, {
        url: WEBHOOK_PROPS.url,
        connectTimeout: WEBHOOK_PROPS.connectTimeout,
        readTimeout: WEBHOOK_PROPS.readTimeout,
      }),
      secret: reader.optional(WEBHOOK_PROPS.secret),
    };
  }

  protected request(batch: AlertBatch, settings: WebhookAlertSettings): HttpAlertRequest {
    const body = jsonBody(webhookAlertBody(batch));
    const headers: Record<string, string> = {};
    if (settings.secret) {
      headers[WEBHOOK_SIGNATURE_HEADER] = createHmac('sha256', settings.secret).update(body).digest('hex');
    }
    return { body, headers };
  }
}
