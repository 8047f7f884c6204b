import { Agent, Dispatcher, request } from 'undici';
import { logger } from '../../elastic-job.logger';
import { httpJobRequestFailed, httpJobStatus, invalidJobField, missingJobField } from '../../elastic-job.messages';
import { HttpJobError, JobConfigurationError } from '../../errors';
import type { ResolvedJobConfiguration, ShardingContext } from '../../interfaces';
import { settingsPerProps } from '../../config';
import type { JobItemExecutor } from './job-item-executor';
import { shardingContextJson } from './sharding-context.json';

/** The job props that configure an HTTP job (ElasticJob's names). */
export const HTTP_PROPS = {
  uri: 'http.uri',
  method: 'http.method',
  data: 'http.data',
  connectTimeout: 'http.connect.timeout.milliseconds',
  readTimeout: 'http.read.timeout.milliseconds',
  contentType: 'http.content.type',
} as const;

/** The request header that carries the item's sharding context, as JSON. */
export const SHARDING_CONTEXT_HEADER = 'shardingContext';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
/** The HTTP methods an HTTP job can use. */
export type HttpJobMethod = (typeof METHODS)[number];
/** ElasticJob writes `http.data` only for these methods. */
const METHODS_WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'DELETE']);
/** How much of a response body is kept for the log and for errors. */
const BODY_START_BYTES = 1024;
/** The largest delay a Node timer accepts; a larger one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The checked settings of an HTTP job, from its props. */
export interface HttpJobSettings {
  readonly url: URL;
  readonly method: HttpJobMethod;
  /** The request body, sent for POST, PUT and DELETE only. */
  readonly data?: string;
  /** Time allowed to open the connection. Default 3000. */
  readonly connectTimeoutMs: number;
  /** Time allowed for the response headers, and between two chunks of its body. Default 5000. */
  readonly readTimeoutMs: number;
  readonly contentType?: string;
}

/**
 * Checks the props of an HTTP job; throws JobConfigurationError(message, jobName, field) naming the job and the prop.
 * The timeouts are undici's, which it checks about every half second: a short one may run out up to a second late.
 */
export function httpJobSettings(jobName: string, props: Readonly<Record<string, string>>): HttpJobSettings {
  const invalid = (field: string, reason: string) =>
    new JobConfigurationError(invalidJobField(jobName, field, props[field], reason), jobName, field);
  const required = (field: string) => {
    if (!props[field]) {
      throw new JobConfigurationError(missingJobField(jobName, field), jobName, field);
    }
    return props[field];
  };
  const timeout = (field: string, defaultMs: number) => {
    const value = props[field];
    if (value === undefined || value === '') {
      return defaultMs;
    }
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_TIMEOUT_MS) {
      throw invalid(field, `must be a positive integer of milliseconds, at most ${MAX_TIMEOUT_MS}`);
    }
    return Number(value);
  };

  const uri = required(HTTP_PROPS.uri);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(HTTP_PROPS.uri, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(HTTP_PROPS.uri, 'must be an http: or https: URL');
  }
  const method = required(HTTP_PROPS.method).toUpperCase() as HttpJobMethod;
  if (!METHODS.includes(method)) {
    throw invalid(HTTP_PROPS.method, `must be one of ${METHODS.join(', ')}`);
  }
  const contentType = props[HTTP_PROPS.contentType] || undefined;
  // Checked here so that a bad header fails at start-up rather than on every run.
  if (contentType !== undefined && !/^[\x20-\x7e]+$/.test(contentType)) {
    throw invalid(HTTP_PROPS.contentType, 'must be printable ASCII (a header value)');
  }
  return {
    url,
    method,
    data: props[HTTP_PROPS.data] || undefined,
    connectTimeoutMs: timeout(HTTP_PROPS.connectTimeout, 3000),
    readTimeoutMs: timeout(HTTP_PROPS.readTimeout, 5000),
    contentType,
  };
}

/** The context as ElasticJob's Gson writes it; non-ASCII escaped as `\uXXXX` (still JSON), as headers must be ASCII. */
function shardingContextHeader(context: ShardingContext): string {
  return shardingContextJson(context).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Reads the body to its end, so that the connection can be reused, and keeps its start. */
async function readBodyStart(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // On an error (read timeout, abort) the loop's exit destroys the body, which frees the socket.
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < BODY_START_BYTES) {
      chunks.push(chunk);
      size += chunk.length;
    }
  }
  return Buffer.concat(chunks).subarray(0, BODY_START_BYTES).toString('utf8');
}

/** The URL as messages show it: without its password, which logs must not keep. */
const shownUrl = (url: URL) => (url.password ? Object.assign(new URL(url), { password: '***' }).href : url.href);

/** Why a request got no (complete) response, in words an operator can act on. */
function failureCause(error: unknown, signal: AbortSignal, settings: HttpJobSettings): string {
  if (signal.aborted) {
    return `aborted: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason)}`;
  }
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return `connect timed out after ${settings.connectTimeoutMs} ms (${HTTP_PROPS.connectTimeout})`;
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return `read timed out after ${settings.readTimeoutMs} ms (${HTTP_PROPS.readTimeout})`;
  }
  // An AggregateError (every address of a host refused) has an empty message but the code.
  const text = message || String(error);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}

/** Throws (start-up error) if the props are invalid. */
export function httpJobExecutor(config: ResolvedJobConfiguration): JobItemExecutor & { close(): Promise<void> } {
  // Props are read on every run, as an operator may change them live; parsing once per props object is enough.
  const settings = settingsPerProps(httpJobSettings);
  const settingsOf = ({ name, props }: ResolvedJobConfiguration) => settings(name, props);
  settingsOf(config);

  // One agent, so that runs reuse connections. The connect timeout is the agent's: a new one needs a new agent.
  let agent: { dispatcher: Agent; connectTimeoutMs: number } | undefined;
  const closing = new Set<Promise<void>>();
  let closed = false;
  const retire = (dispatcher: Agent) => {
    // Graceful: requests still running on the old agent end first.
    const done: Promise<void> = dispatcher
      .close()
      .catch((error) => logger.warn(`Job ${JSON.stringify(config.name)}: closing an HTTP agent failed: ${error}`))
      .finally(() => closing.delete(done));
    closing.add(done);
  };
  const dispatcherFor = (connectTimeoutMs: number) => {
    if (agent?.connectTimeoutMs !== connectTimeoutMs) {
      if (agent) {
        retire(agent.dispatcher);
      }
      agent = { dispatcher: new Agent({ connect: { timeout: connectTimeoutMs } }), connectTimeoutMs };
    }
    return agent.dispatcher;
  };

  return {
    type: 'HTTP',
    async execute(context, run) {
      const signal = context.signal; // once: reading it registers the run as abortable
      const settings = settingsOf(run.configuration());
      const { url, method, readTimeoutMs } = settings;
      const { jobName, shardingItem } = context;
      const where = shownUrl(url);
      const fail = (cause: string, status?: number) => {
        const message = httpJobRequestFailed(jobName, shardingItem, method, where, cause);
        return new HttpJobError(message, jobName, shardingItem, status, '');
      };
      if (closed) {
        throw fail('the executor is closed');
      }
      const headers: Record<string, string> = { [SHARDING_CONTEXT_HEADER]: shardingContextHeader(context) };
      if (settings.contentType) {
        headers['content-type'] = settings.contentType;
      }
      const body = METHODS_WITH_BODY.has(method) ? settings.data : undefined;
      const response = await request(url, {
        method,
        headers,
        body,
        signal,
        dispatcher: dispatcherFor(settings.connectTimeoutMs),
        headersTimeout: readTimeoutMs,
        bodyTimeout: readTimeoutMs,
      }).catch((error) => {
        throw fail(failureCause(error, signal, settings));
      });
      const status = response.statusCode;
      const bodyStart = await readBodyStart(response.body).catch((error) => {
        throw fail(failureCause(error, signal, settings), status);
      });
      // ElasticJob only logs a status >= 400; here it fails the run, so that the error handler and failover see it.
      if (status >= 400) {
        const message = httpJobStatus(jobName, shardingItem, method, where, status, bodyStart);
        throw new HttpJobError(message, jobName, shardingItem, status, bodyStart);
      }
      logger.debug(httpJobStatus(jobName, shardingItem, method, where, status, bodyStart));
    },
    async close() {
      closed = true;
      if (agent) {
        retire(agent.dispatcher);
        agent = undefined;
      }
      await Promise.all(closing);
    },
  };
}
