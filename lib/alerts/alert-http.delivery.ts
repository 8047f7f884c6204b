import { Agent, Dispatcher, request } from 'undici';

/** Where and how long an HTTP alert is sent. */
export interface HttpAlertTarget {
  readonly url: URL;
  /** Time allowed to open the connection. */
  readonly connectTimeoutMs: number;
  /** Time allowed for the response headers, and between two chunks of its body. */
  readonly readTimeoutMs: number;
}

/** How much of an answer is kept: enough for a robot's `errcode` and for a warning. */
const ANSWER_START_BYTES = 4096;

/** Reads the body to its end, so that the connection can be reused, and keeps its start. */
async function readAnswerStart(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // On an error (read timeout) the loop's exit destroys the body, which frees the socket.
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < ANSWER_START_BYTES) {
      chunks.push(chunk);
      size += chunk.length;
    }
  }
  return Buffer.concat(chunks).subarray(0, ANSWER_START_BYTES).toString('utf8');
}

/** Why a request got no (complete) answer, in words an operator can act on. */
function failureCause(error: unknown, target: HttpAlertTarget): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return `connect timed out after ${target.connectTimeoutMs} ms`;
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return `read timed out after ${target.readTimeoutMs} ms`;
  }
  // An AggregateError (every address of a host refused) has an empty message but the code.
  const text = message || String(error);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}

/** Where a request went, as warnings show it: webhook paths and queries hold their tokens, which logs must not. */
export const shownTarget = (url: URL) => url.origin;

/**
 * POSTs alerts with undici. The connect timeout belongs to an agent, so there is one agent per distinct connect
 * timeout, kept and reused so that alerts reuse connections (idle ones do not keep the process alive).
 */
export class HttpAlertDelivery {
  private readonly agents = new Map<number, Agent>();

  /**
   * Sends `body` and resolves with the start of the answer; rejects with an Error saying why on a network error, a
   * timeout or a status >= 300 (redirects are not followed: a webhook that moved is a misconfiguration).
   */
  async post(target: HttpAlertTarget, body: Buffer, headers: Record<string, string> = {}): Promise<string> {
    const response = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      dispatcher: this.agentFor(target.connectTimeoutMs),
      headersTimeout: target.readTimeoutMs,
      bodyTimeout: target.readTimeoutMs,
    }).catch((error) => {
      throw new Error(`POST ${shownTarget(target.url)} failed: ${failureCause(error, target)}`);
    });
    const answer = await readAnswerStart(response.body).catch((error) => {
      throw new Error(`POST ${shownTarget(target.url)} failed reading the answer: ${failureCause(error, target)}`);
    });
    if (response.statusCode >= 300) {
      throw new Error(
        `POST ${shownTarget(target.url)} answered status ${response.statusCode}${answer ? `: ${answer.slice(0, 512)}` : ''}`,
      );
    }
    return answer;
  }

  /** Closes the agents once their requests end; a later `post` opens new ones. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((agent) => agent.close().catch(() => undefined)));
  }

  private agentFor(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({ connect: { timeout: connectTimeoutMs } });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }
}
