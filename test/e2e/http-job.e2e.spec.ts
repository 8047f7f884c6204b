import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { HttpJobError, JobConfigurationError } from '../../lib/errors';
import type { ResolvedJobConfiguration, ShardingContext } from '../../lib/interfaces';
import { HTTP_PROPS, httpJobExecutor, httpJobSettings, ItemRun } from '../../lib/executor/job-types';
import { CONTEXT_JSON_KEYS } from '../support/sharding-context-json';

/** What the test server saw of one request. */
interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
}

/** A real HTTP server on 127.0.0.1; `handler` answers (or not), every request is recorded. */
class TestServer {
  readonly received: Received[] = [];
  readonly connections: Socket[] = [];
  private readonly server: Server;

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ method: req.method!, headers: req.headers, body, socket: req.socket });
        this.handler(req, res);
      });
    });
    this.server.on('connection', (socket: Socket) => this.connections.push(socket));
    // Long, so that a connection ends only when the client closes it.
    this.server.keepAliveTimeout = 60_000;
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/job?x=1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const JOB = 'httpJob';
const servers: TestServer[] = [];
const executors: { close(): Promise<void> }[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<[TestServer, string]> {
  const server = new TestServer(handler);
  servers.push(server);
  return [server, await server.start()];
}

const configOf = (props: Record<string, string>) => ({ name: JOB, props }) as unknown as ResolvedJobConfiguration;
const runOf = (config: ResolvedJobConfiguration): ItemRun => ({
  isCurrent: () => true,
  isStreaming: () => false,
  configuration: () => config,
});

function contextOf(controller = new AbortController(), overrides: Partial<ShardingContext> = {}) {
  const context = {
    jobName: JOB,
    taskId: `${JOB}@-@0@-@READY@-@127.0.0.1@-@1`,
    shardingTotalCount: 2,
    shardingItem: 1,
    shardingParameter: 'Shanghai',
    jobParameter: 'p',
    fireTime: Date.now(),
    executionSource: 'NORMAL_TRIGGER' as const,
    fencingToken: 7,
    attempt: 1,
    signalReads: 0,
    get signal() {
      context.signalReads++;
      return controller.signal;
    },
    ...overrides,
  };
  return context;
}

function executorOf(config: ResolvedJobConfiguration) {
  const executor = httpJobExecutor(config);
  executors.push(executor);
  return executor;
}

/** Runs one item and returns its error (the test fails if it succeeds). */
async function failure(promise: unknown): Promise<HttpJobError> {
  try {
    await promise;
  } catch (error) {
    return error as HttpJobError;
  }
  throw new Error('the run succeeded');
}

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.close()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

describe('HTTP job', () => {
  it('POSTs http.data with its content type and the sharding context; a GET sends no body', async () => {
    const [server, uri] = await serve((_req, res) => res.end('ok'));
    const post = configOf({
      [HTTP_PROPS.uri]: uri,
      [HTTP_PROPS.method]: 'post',
      [HTTP_PROPS.data]: '{"a":1}',
      [HTTP_PROPS.contentType]: 'application/json',
    });
    const executor = executorOf(post);
    expect(executor.type).toBe('HTTP');
    const context = contextOf();
    await executor.execute(context, runOf(post));

    expect(context.signalReads).toBe(1);
    const [request] = server.received;
    expect(request.method).toBe('POST');
    expect(request.body).toBe('{"a":1}');
    expect(request.headers['content-type']).toBe('application/json');
    const sent = JSON.parse(request.headers.shardingcontext as string);
    expect(Object.keys(sent)).toEqual(CONTEXT_JSON_KEYS);
    expect(sent).toEqual({
      jobName: JOB,
      taskId: context.taskId,
      shardingTotalCount: 2,
      jobParameter: 'p',
      shardingItem: 1,
      shardingParameter: 'Shanghai',
    });

    // The live configuration changes: the next run reads it. (It waits a moment as the next fire would: undici checks
    // an idle socket for one turn of the event loop before it reuses it.)
    await new Promise((resolve) => setTimeout(resolve, 20));
    const get = configOf({ ...post.props, [HTTP_PROPS.method]: 'GET', [HTTP_PROPS.contentType]: '' });
    await executor.execute(contextOf(), runOf(get));
    expect(server.received[1].method).toBe('GET');
    expect(server.received[1].body).toBe('');
    expect(server.received[1].headers['content-length']).toBeUndefined();
    expect(server.received[1].headers['content-type']).toBeUndefined();
    // Both runs went over one kept-alive connection.
    expect(server.connections).toHaveLength(1);
  });

  it.each([
    [500, 'database down'],
    [404, 'no such endpoint'],
  ])('fails on status %d with the start of the body', async (status, text) => {
    const [, uri] = await serve((_req, res) => {
      res.statusCode = status;
      res.end(text);
    });
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'GET' });
    const error = await failure(executorOf(config).execute(contextOf(), runOf(config)));

    expect(error).toBeInstanceOf(HttpJobError);
    expect(error.status).toBe(status);
    expect(error.body).toBe(text);
    expect(error.shardingItem).toBe(1);
    expect(error.message).toContain(`status ${status}`);
    expect(error.message).toContain(text);
    expect(error.message).toContain(JOB);
  });

  it('keeps only the first KB of a long error body', async () => {
    const [, uri] = await serve((_req, res) => {
      res.statusCode = 503;
      res.end('x'.repeat(100_000));
    });
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'GET' });
    const error = await failure(executorOf(config).execute(contextOf(), runOf(config)));
    expect(error.status).toBe(503);
    expect(error.body).toBe('x'.repeat(1024));
  });

  it('times out on a server that never answers', async () => {
    const [server, uri] = await serve(() => undefined);
    const config = configOf({
      [HTTP_PROPS.uri]: uri,
      [HTTP_PROPS.method]: 'GET',
      [HTTP_PROPS.readTimeout]: '300',
    });
    const started = Date.now();
    const error = await failure(executorOf(config).execute(contextOf(), runOf(config)));

    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.received).toHaveLength(1);
    expect(error).toBeInstanceOf(HttpJobError);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('timed out');
    expect(error.message).toContain(HTTP_PROPS.readTimeout);
    expect(error.message).toContain(uri);
  });

  it('fails, without crashing, when the connection is refused', async () => {
    const closed = new TestServer(() => undefined);
    const uri = await closed.start();
    await closed.stop();
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'POST', [HTTP_PROPS.data]: 'x' });
    const error = await failure(executorOf(config).execute(contextOf(), runOf(config)));

    expect(error).toBeInstanceOf(HttpJobError);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(uri);
  });

  it('aborts a hanging request when the signal is aborted', async () => {
    const [server, uri] = await serve(() => undefined);
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'GET' });
    const controller = new AbortController();
    const run = executorOf(config).execute(contextOf(controller), runOf(config));
    while (server.received.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const socketClosed = once(server.received[0].socket, 'close');

    const aborted = Date.now();
    controller.abort('lease lost');
    const error = await failure(run);
    expect(Date.now() - aborted).toBeLessThan(1000);
    expect(error).toBeInstanceOf(HttpJobError);
    expect(error.message).toContain('aborted: lease lost');
    expect(error.message).toContain(uri);
    await socketClosed;
  });

  it.each([
    [{ [HTTP_PROPS.method]: 'GET' }, HTTP_PROPS.uri, undefined],
    [{ [HTTP_PROPS.uri]: 'ftp://x', [HTTP_PROPS.method]: 'GET' }, HTTP_PROPS.uri, 'ftp://x'],
    [{ [HTTP_PROPS.uri]: 'not a url', [HTTP_PROPS.method]: 'GET' }, HTTP_PROPS.uri, 'not a url'],
    [{ [HTTP_PROPS.uri]: 'http://x' }, HTTP_PROPS.method, undefined],
    [{ [HTTP_PROPS.uri]: 'http://x', [HTTP_PROPS.method]: 'FETCH' }, HTTP_PROPS.method, 'FETCH'],
    [
      { [HTTP_PROPS.uri]: 'http://x', [HTTP_PROPS.method]: 'GET', [HTTP_PROPS.readTimeout]: 'abc' },
      HTTP_PROPS.readTimeout,
      'abc',
    ],
    [
      { [HTTP_PROPS.uri]: 'http://x', [HTTP_PROPS.method]: 'GET', [HTTP_PROPS.connectTimeout]: '0' },
      HTTP_PROPS.connectTimeout,
      '0',
    ],
  ])('rejects the props %j naming %s', async (props: Record<string, string>, field, value) => {
    const check = (error: unknown) => {
      expect(error).toBeInstanceOf(JobConfigurationError);
      expect((error as JobConfigurationError).field).toBe(field);
      expect((error as JobConfigurationError).jobName).toBe(JOB);
      expect((error as Error).message).toContain(`"${JOB}"`);
      expect((error as Error).message).toContain(field);
      if (value !== undefined) {
        expect((error as Error).message).toContain(value);
      }
    };
    expect(() => httpJobSettings(JOB, props)).toThrow(JobConfigurationError);
    check(catching(() => httpJobSettings(JOB, props)));
    // At start-up, and in a run when the live configuration turns invalid.
    check(catching(() => httpJobExecutor(configOf(props))));
    const executor = executorOf(configOf({ [HTTP_PROPS.uri]: 'http://127.0.0.1:1/', [HTTP_PROPS.method]: 'GET' }));
    check(await failure(executor.execute(contextOf(), runOf(configOf(props)))));
  });

  it('parses valid props with their defaults', () => {
    const settings = httpJobSettings(JOB, { [HTTP_PROPS.uri]: 'https://example.com/a', [HTTP_PROPS.method]: 'delete' });
    expect(settings).toEqual({
      url: new URL('https://example.com/a'),
      method: 'DELETE',
      data: undefined,
      connectTimeoutMs: 3000,
      readTimeoutMs: 5000,
      contentType: undefined,
    });
  });

  it('sends a Chinese parameter intact, as an ASCII header', async () => {
    const [server, uri] = await serve((_req, res) => res.end());
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'GET' });
    const context = contextOf(undefined, { jobParameter: '北京,上海 😀', shardingParameter: '广州' });
    await executorOf(config).execute(context, runOf(config));

    const header = server.received[0].headers.shardingcontext as string;
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(header)).toMatchObject({ jobParameter: '北京,上海 😀', shardingParameter: '广州' });
  });

  it('closes its connections on close(), and refuses to run afterwards', async () => {
    const [server, uri] = await serve((_req, res) => res.end('ok'));
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'GET' });
    const executor = executorOf(config);
    await executor.execute(contextOf(), runOf(config));
    expect(server.connections).toHaveLength(1);
    const connectionClosed = once(server.connections[0], 'close');

    await executor.close();
    await connectionClosed;
    const error = await failure(executor.execute(contextOf(), runOf(config)));
    expect(error).toBeInstanceOf(HttpJobError);
    expect(error.message).toContain('closed');
    expect(server.received).toHaveLength(1);
  });

  it('replaces its agent when the connect timeout changes live, closing the old one', async () => {
    const [server, uri] = await serve((_req, res) => res.end('ok'));
    const config = configOf({ [HTTP_PROPS.uri]: uri, [HTTP_PROPS.method]: 'GET' });
    const executor = executorOf(config);
    await executor.execute(contextOf(), runOf(config));
    const firstClosed = once(server.connections[0], 'close');

    const changed = configOf({ ...config.props, [HTTP_PROPS.connectTimeout]: '1000' });
    await executor.execute(contextOf(), runOf(changed));
    await firstClosed;
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1].destroyed).toBe(false);
  });

  it('lets the process exit by itself after close()', async () => {
    // A child process runs one request (its connection kept alive by the server for 60 s), closes the executor, and
    // must then end on its own: nothing of the executor (socket, timer) may hold its event loop.
    const [server, uri] = await serve((_req, res) => res.end('ok'));
    const script = `
      const ts = require('typescript');
      const fs = require('fs');
      require.extensions['.ts'] = (module, file) => {
        const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true,
          experimentalDecorators: true, emitDecoratorMetadata: true };
        const source = fs.readFileSync(file, 'utf8');
        module._compile(ts.transpileModule(source, { compilerOptions: options }).outputText, file);
      };
      const { httpJobExecutor } = require('./lib/executor/job-types/http-job.executor.ts');
      const config = { name: 'child', props: { 'http.uri': process.env.HTTP_URI, 'http.method': 'GET' } };
      const executor = httpJobExecutor(config);
      const context = { jobName: 'child', taskId: 't', shardingTotalCount: 1, shardingItem: 0, shardingParameter: '',
        jobParameter: '', signal: new AbortController().signal };
      executor
        .execute(context, { isCurrent: () => true, isStreaming: () => false, configuration: () => config })
        .then(() => executor.close())
        .then(() => console.log('closed at ' + Date.now()));
    `;
    const { stdout, exitedAt } = await new Promise<{ stdout: string; exitedAt: number }>((resolve, reject) =>
      execFile(
        process.execPath,
        ['-e', script],
        { cwd: join(__dirname, '..', '..'), env: { ...process.env, HTTP_URI: uri }, timeout: 20_000 },
        (error, out) => (error ? reject(error) : resolve({ stdout: out, exitedAt: Date.now() })),
      ),
    );

    const closedAt = Number(/closed at (\d+)/.exec(stdout)?.[1]);
    expect(server.received).toHaveLength(1);
    expect(exitedAt - closedAt).toBeLessThan(2000);
  }, 30_000);
});

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}
