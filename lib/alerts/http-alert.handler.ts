import type { AlertBatch } from './alert-batch.interface';
import { HttpAlertDelivery, HttpAlertTarget, shownTarget } from './alert-http.delivery';
import { AlertJobErrorHandler } from './alert-job-error.handler';
import type { AlertPropsReader } from './alert-props.reader';

/** ElasticJob's default timeouts of its chat robots. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
export const DEFAULT_READ_TIMEOUT_MS = 5000;

/** The props naming an HTTP alert's endpoint and timeouts. */
export interface HttpAlertPropNames {
  readonly url: string;
  readonly connectTimeout: string;
  readonly readTimeout: string;
  /** ElasticJob 3.0's names of the timeouts (`dingtalk.connectTimeoutMilliseconds`), read when the others are unset. */
  readonly connectTimeoutAlias?: string;
  readonly readTimeoutAlias?: string;
}

/** Reads an HTTP alert's URL (required, http or https) and timeouts (positive integers, ElasticJob's defaults). */
export function readHttpTarget(reader: AlertPropsReader, names: HttpAlertPropNames): HttpAlertTarget {
  return {
    url: reader.httpUrl(names.url),
    connectTimeoutMs: reader.timeoutMs(names.connectTimeout, DEFAULT_CONNECT_TIMEOUT_MS, names.connectTimeoutAlias),
    readTimeoutMs: reader.timeoutMs(names.readTimeout, DEFAULT_READ_TIMEOUT_MS, names.readTimeoutAlias),
  };
}

/** One HTTP request of an alert. */
export interface HttpAlertRequest {
  /** Default: the settings' URL. */
  readonly url?: URL;
  /** The exact bytes sent (a signature covers them). */
  readonly body: Buffer;
  readonly headers?: Record<string, string>;
}

/** An alert POSTed as JSON to a webhook; a subclass builds the request and may check the answer. */
export abstract class HttpAlertJobErrorHandler<
  Settings extends HttpAlertTarget,
> extends AlertJobErrorHandler<Settings> {
  private readonly http = new HttpAlertDelivery();

  /** The request that reports `batch`. */
  protected abstract request(batch: AlertBatch, settings: Settings): HttpAlertRequest;

  /** Throws if a 2xx answer still says the message was refused. Default: any 2xx is a delivery. */
  protected checkAnswer(_answer: string): void {
    // Most webhooks say no with a status.
  }

  protected async deliver(batch: AlertBatch, settings: Settings): Promise<void> {
    const { url, body, headers } = this.request(batch, settings);
    this.checkAnswer(await this.http.post({ ...settings, url: url ?? settings.url }, body, headers));
  }

  protected release(): Promise<void> {
    return this.http.close();
  }

  protected destination(settings: Settings): string {
    return shownTarget(settings.url);
  }
}

/** A JSON body as bytes. */
export const jsonBody = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
