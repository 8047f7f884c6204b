import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobOperateApi, ShardingStatisticsApi, ZookeeperRegistryCenter } from '../../lib';
import { AppProcess } from '../support/app-process';
import { TcpProxy } from '../support/tcp-proxy';
import { freePort, waitFor, ZookeeperTestServer } from '../support/zookeeper-server';
import { CONTEXT_JSON_KEYS } from '../support/sharding-context-json';

// Script and HTTP jobs declared by configuration alone, retries, and triggers with a parameter, in real instance
// processes (test/fixtures/job-types-app.ts) against a real ZooKeeper, with real child processes and a real local
// HTTP server.
const ROOT = join(__dirname, '../..');
const APP = join(ROOT, '.build/test/fixtures/job-types-app.js');
const CLI = join(ROOT, '.build/lib/cli/main.js');

/** Whether a process is gone (a zombie waiting to be reaped counts as gone: it runs nothing). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

interface Request {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

describe('job types, retries and trigger parameters', () => {
  let zk: ZookeeperTestServer;
  let observer: ZookeeperRegistryCenter;
  let operate: JobOperateApi;
  let namespace = '';
  let seq = 0;
  let dir = '';
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    zk = await ZookeeperTestServer.start();
  });
  beforeEach(async () => {
    namespace = `types-${++seq}`;
    dir = mkdtempSync(join(tmpdir(), 'job-types-'));
    observer = new ZookeeperRegistryCenter({ serverLists: zk.connectString, namespace });
    await observer.connect();
    operate = new JobOperateApi(observer);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
    await observer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await zk.destroy();
  });

  const start = async (ip: string, env: Record<string, string>, servers = zk.connectString) => {
    const app = AppProcess.spawn(`instance ${ip}`, [APP], {
      ZK_SERVERS: servers,
      ZK_NAMESPACE: namespace,
      INSTANCE_IP: ip,
      ...env,
    });
    apps.push(app);
    await app.waitForEvent('started', 20_000);
    return app;
  };
  const jobs = (declared: Record<string, unknown>) => ({ JOBS: JSON.stringify(declared) });
  /** Waits until every item of `job` has an owner among `count` instances. */
  const assigned = (job: string, count: number) =>
    waitFor(
      async () => {
        const infos = await new ShardingStatisticsApi(observer).getShardingInfo(job).catch(() => []);
        return infos.length > 0 && new Set(infos.map((info) => info.instanceId)).size === count;
      },
      15_000,
      `${job} assigned over ${count} instance(s)`,
    );
  const registered = (job: string, count: number) =>
    waitFor(
      async () => (await observer.getChildren(`/${job}/instances`).catch(() => [])).length === count,
      10_000,
      `${count} instance(s) of ${job}`,
    );
  const script = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  };
  // Appends one JSON line per run: the arguments it got, its pid, when.
  const recorder = () =>
    script(
      'record.js',
      `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, JSON.stringify({ argv: process.argv.slice(2), pid: process.pid, at: Date.now() }) + '\\n');\n`,
    );
  const recordedRuns = (): Array<{ argv: string[]; at: number; context: Record<string, unknown> }> =>
    existsSync(join(dir, 'runs.log'))
      ? readFileSync(join(dir, 'runs.log'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
          .map((run) => ({ ...run, context: JSON.parse(run.argv[run.argv.length - 1]) }))
      : [];
  const failures = (app: AppProcess, jobName: string) => app.of('failure').filter((event) => event.jobName === jobName);

  describe('script jobs', () => {
    it('run the command once per item per fire, the sharding context JSON as the last argument', async () => {
      const command = recorder();
      const declared = jobs({
        backup: {
          elasticJobType: 'SCRIPT',
          cron: '0/2 * * * * ?',
          shardingTotalCount: '3',
          shardingItemParameters: '0=a,1=b,2=c',
          jobParameter: 'nightly',
          props: { 'script.command.line': `${command} --target "s3 bucket"` },
        },
      });
      await Promise.all([start('127.0.0.2', declared), start('127.0.0.3', declared)]);
      await assigned('backup', 2);
      const from = Math.ceil((Date.now() + 500) / 2000) * 2000;
      await waitFor(() => recordedRuns().filter((run) => run.at >= from + 6000).length >= 3, 20_000, '4 fires');
      const fires = new Map<number, number[]>();
      for (const run of recordedRuns().filter((r) => r.at >= from && r.at < from + 6000)) {
        const fire = Math.floor(run.at / 2000) * 2000;
        fires.set(fire, [...(fires.get(fire) ?? []), run.context.shardingItem as number]);
        expect(run.argv.slice(0, -1)).toEqual(['--target', 's3 bucket']);
        expect(Object.keys(run.context)).toEqual(CONTEXT_JSON_KEYS);
        expect(run.context).toMatchObject({ jobName: 'backup', shardingTotalCount: 3, jobParameter: 'nightly' });
        expect(run.context.shardingParameter).toBe('abc'[run.context.shardingItem as number]);
        expect(run.context.taskId).toMatch(/^backup@-@[\d,]+@-@READY@-@127\.0\.0\.[23]@-@\d+$/);
      }
      expect([...fires.values()].map((items) => items.sort())).toEqual([
        [0, 1, 2],
        [0, 1, 2],
        [0, 1, 2],
      ]);
    });

    it('fail on a non-zero exit with the code and the end of stderr, and pass parameters as one argument', async () => {
      const pwned = join(dir, 'pwned');
      const command = recorder();
      const app = await start(
        '127.0.0.2',
        jobs({
          exit3: {
            elasticJobType: 'SCRIPT',
            shardingTotalCount: 1,
            jobErrorHandlerType: 'RECORD',
            props: { 'script.command.line': `sh -c "echo 'disk full' >&2; exit 3"` },
          },
          inject: {
            elasticJobType: 'SCRIPT',
            shardingTotalCount: 2,
            shardingItemParameters: `0=$(touch ${pwned}),1=\`touch ${pwned}\``,
            jobParameter: `a; touch ${pwned} | true && touch ${pwned}`,
            props: { 'script.command.line': command },
          },
        }),
      );
      await operate.trigger('exit3');
      await operate.trigger('inject');
      await waitFor(() => failures(app, 'exit3').length === 1 && recordedRuns().length === 2, 10_000, 'both ran');
      const [failure] = failures(app, 'exit3');
      expect(failure).toMatchObject({ name: 'ScriptJobError', exitCode: 3, item: 0 });
      expect(failure.message).toMatch(/exit code 3/);
      expect(failure.message).toMatch(/disk full/);
      for (const run of recordedRuns()) {
        expect(run.argv).toHaveLength(1);
        expect(run.context.jobParameter).toBe(`a; touch ${pwned} | true && touch ${pwned}`);
      }
      expect(existsSync(pwned)).toBe(false);
      // Its output reached the Nest logger, with the job and the item.
      expect(app.output.some((line) => /Job "exit3" item 0: disk full/.test(line))).toBe(true);
    });

    it('refuse to start with a missing or non-executable command, naming the job and the field', async () => {
      writeFileSync(join(dir, 'plain.sh'), 'echo hi\n');
      for (const commandLine of ['/nonexistent/backup.sh', join(dir, 'plain.sh'), 'echo a; rm -rf /']) {
        const app = AppProcess.spawn('bad script', [APP], {
          ZK_SERVERS: zk.connectString,
          ZK_NAMESPACE: namespace,
          ...jobs({
            broken: { elasticJobType: 'SCRIPT', shardingTotalCount: 1, props: { 'script.command.line': commandLine } },
          }),
        });
        apps.push(app);
        const failed = await app.waitForEvent('failed', 20_000);
        expect(failed).toMatchObject({ jobName: 'broken', field: 'script.command.line' });
        expect(failed.error).toMatch(/broken/);
        expect(failed.error).toMatch(/script\.command\.line/);
      }
    });

    it('kill the process and its children when the lease is lost, and on timeout', async () => {
      const proxy = await TcpProxy.start(zk.port);
      try {
        const pids = join(dir, 'pids');
        const long = script('long.sh', `#!/bin/sh\nsleep 60 &\necho "$$ $!" >> ${pids}\nwait\n`);
        const app = await start(
          '127.0.0.2',
          jobs({
            long: {
              elasticJobType: 'SCRIPT',
              shardingTotalCount: 1,
              jobErrorHandlerType: 'RECORD',
              props: { 'script.command.line': long },
            },
            slow: {
              elasticJobType: 'SCRIPT',
              shardingTotalCount: 1,
              jobErrorHandlerType: 'RECORD',
              props: { 'script.command.line': long, 'script.timeout.milliseconds': '500' },
            },
          }),
          proxy.connectString,
        );
        const readPids = () =>
          existsSync(pids)
            ? readFileSync(pids, 'utf8')
                .trim()
                .split('\n')
                .map((line) => line.split(' ').map(Number))
            : [];
        // Timeout: the script and its child are killed, and it is a failure.
        const timeoutAt = Date.now();
        await operate.trigger('slow');
        await waitFor(() => failures(app, 'slow').length === 1, 10_000, 'the timeout');
        expect(Date.now() - timeoutAt).toBeLessThan(5000);
        expect(failures(app, 'slow')[0]).toMatchObject({ name: 'ScriptJobError', timedOut: true });
        expect(failures(app, 'slow')[0].message).toMatch(/timed out after 500 ms/);
        await waitFor(() => readPids()[0]?.every(isGone) ?? false, 10_000, 'the timed-out processes gone');

        // Lease lost: the run is aborted, its process group killed.
        await operate.trigger('long');
        await waitFor(() => readPids().length === 2, 10_000, 'the long script started');
        const [shellPid, sleepPid] = readPids()[1];
        expect(isGone(shellPid) || isGone(sleepPid)).toBe(false);
        proxy.cut();
        await waitFor(() => isGone(shellPid) && isGone(sleepPid), 15_000, 'the aborted processes gone');
        // The run ends as aborted once its processes are gone.
        await waitFor(
          () => app.output.some((line) => /lease expired|was aborted/.test(line)),
          10_000,
          'the aborted run reported',
        );
      } finally {
        await proxy.close();
      }
    });
  });

  describe('HTTP jobs', () => {
    let server: Server;
    let port = 0;
    const requests: Request[] = [];

    beforeEach(async () => {
      requests.length = 0;
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          requests.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() });
          if (req.url!.startsWith('/hang')) {
            return; // never answers
          }
          const status = req.url!.startsWith('/fail') ? 500 : req.url!.startsWith('/missing') ? 404 : 200;
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `no luck at ${req.url}`);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('send one request per item with the method, body, content type and the shardingContext header', async () => {
      const uri = `http://127.0.0.1:${port}/hooks/settle?region=eu`;
      const declared = jobs({
        settle: {
          elasticJobType: 'HTTP',
          shardingTotalCount: 4,
          shardingItemParameters: '0=北京,1=上海,2=广州,3=深圳',
          jobParameter: '结算',
          props: {
            'http.uri': uri,
            'http.method': 'post',
            'http.data': 'source=elasticjob',
            'http.content.type': 'application/x-www-form-urlencoded',
          },
        },
        poll: {
          elasticJobType: 'HTTP',
          shardingTotalCount: 1,
          props: { 'http.uri': `http://127.0.0.1:${port}/poll`, 'http.method': 'GET', 'http.data': 'ignored' },
        },
      });
      await Promise.all([start('127.0.0.2', declared), start('127.0.0.3', declared)]);
      await registered('settle', 2);
      await operate.trigger('settle');
      await operate.trigger('poll');
      await waitFor(() => requests.length === 5, 10_000, '5 requests');
      const posts = requests.filter((request) => request.url.startsWith('/hooks'));
      expect(posts).toHaveLength(4);
      for (const request of posts) {
        expect(request).toMatchObject({ method: 'POST', url: '/hooks/settle?region=eu', body: 'source=elasticjob' });
        expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
        const context = JSON.parse(request.headers.shardingcontext as string);
        expect(Object.keys(context)).toEqual(CONTEXT_JSON_KEYS);
        expect(context).toMatchObject({ jobName: 'settle', shardingTotalCount: 4, jobParameter: '结算' });
        expect(context.shardingParameter).toBe(['北京', '上海', '广州', '深圳'][context.shardingItem]);
      }
      expect(posts.map((request) => JSON.parse(request.headers.shardingcontext as string).shardingItem).sort()).toEqual(
        [0, 1, 2, 3],
      );
      const [get] = requests.filter((request) => request.url === '/poll');
      expect(get).toMatchObject({ method: 'GET', body: '' });
    });

    it('fail on 500 and 404, on a server that never answers and on a refused connection, without crashing', async () => {
      const closed = await freePort();
      const job = (path: string, props: Record<string, string> = {}) => ({
        elasticJobType: 'HTTP',
        shardingTotalCount: 1,
        jobErrorHandlerType: 'RECORD',
        props: { 'http.uri': path, 'http.method': 'GET', ...props },
      });
      const app = await start(
        '127.0.0.2',
        jobs({
          fail: job(`http://127.0.0.1:${port}/fail`),
          missing: job(`http://127.0.0.1:${port}/missing`),
          hang: job(`http://127.0.0.1:${port}/hang`, { 'http.read.timeout.milliseconds': '400' }),
          refused: job(`http://127.0.0.1:${closed}/`),
          fine: job(`http://127.0.0.1:${port}/fine`),
        }),
      );
      const hangAt = Date.now();
      for (const name of ['fail', 'missing', 'hang', 'refused']) {
        await operate.trigger(name);
      }
      await waitFor(
        () => ['fail', 'missing', 'hang', 'refused'].every((name) => failures(app, name).length === 1),
        10_000,
        'four failures',
      );
      expect(failures(app, 'fail')[0]).toMatchObject({ name: 'HttpJobError', status: 500 });
      expect(failures(app, 'fail')[0].message).toMatch(/500/);
      expect(failures(app, 'fail')[0].message).toMatch(/no luck at \/fail/);
      expect(failures(app, 'missing')[0]).toMatchObject({ name: 'HttpJobError', status: 404 });
      expect(failures(app, 'hang')[0].message).toMatch(/timed out/i);
      expect((failures(app, 'hang')[0].at as number) - hangAt).toBeLessThan(4000);
      expect(failures(app, 'refused')[0].message).toMatch(/ECONNREFUSED/);
      // Still alive and running jobs.
      await operate.trigger('fine');
      await waitFor(() => requests.some((request) => request.url === '/fine'), 10_000, 'a later job ran');
      expect(app.child.exitCode).toBeNull();
    });

    it('refuse to start with an invalid URI or method, naming the job and the field', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ 'http.uri': 'not a url', 'http.method': 'GET' }, 'http.uri'],
        [{ 'http.uri': 'ftp://127.0.0.1/x', 'http.method': 'GET' }, 'http.uri'],
        [{ 'http.uri': `http://127.0.0.1:${port}/`, 'http.method': 'FETCH' }, 'http.method'],
        [{ 'http.uri': `http://127.0.0.1:${port}/` }, 'http.method'],
      ];
      for (const [props, field] of cases) {
        const app = AppProcess.spawn('bad http', [APP], {
          ZK_SERVERS: zk.connectString,
          ZK_NAMESPACE: namespace,
          ...jobs({ hook: { elasticJobType: 'HTTP', shardingTotalCount: 1, props } }),
        });
        apps.push(app);
        const failed = await app.waitForEvent('failed', 20_000);
        expect(failed).toMatchObject({ jobName: 'hook', field });
        expect(failed.error).toMatch(/hook/);
      }
    });
  });

  describe('failure alerts from a real instance', () => {
    let server: Server;
    let port = 0;
    const received: Request[] = [];

    beforeEach(async () => {
      received.length = 0;
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          received.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() });
          if (!req.url!.startsWith('/hang')) {
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}');
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    // A script that records its run, then fails.
    const failing = () =>
      script(
        'fail.js',
        `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, JSON.stringify({ argv: process.argv.slice(2), at: Date.now() }) + '\\n');\nconsole.error('disk full');\nprocess.exit(1);\n`,
      );

    it('send one webhook per execution with every failed item of it, for a script job', async () => {
      const app = await start(
        '127.0.0.2',
        jobs({
          nightly: {
            elasticJobType: 'SCRIPT',
            cron: '* * * * * ?',
            shardingTotalCount: 2,
            jobErrorHandlerType: 'WEBHOOK',
            props: {
              'script.command.line': failing(),
              'webhook.url': `http://127.0.0.1:${port}/alerts`,
              'webhook.secret': 's3cret',
            },
          },
        }),
      );
      await waitFor(() => received.length >= 2, 15_000, 'two alerts');
      for (const alert of received.slice(0, 2)) {
        const body = JSON.parse(alert.body);
        expect(body).toMatchObject({
          jobName: 'nightly',
          instanceId: `127.0.0.2@-@${app.child.pid}`,
          executionSource: 'NORMAL_TRIGGER',
        });
        expect(body.fireTime % 1000).toBe(0);
        expect(body.failures.map((failure: { shardingItem: number }) => failure.shardingItem).sort()).toEqual([0, 1]);
        expect(body.error.message).toMatch(/exit code 1/);
        expect(body.error.message).toMatch(/disk full/);
        const signature = createHmac('sha256', 's3cret').update(alert.body).digest('hex');
        expect(alert.headers['x-elasticjob-signature']).toBe(signature);
      }
      expect(new Set(received.map((alert) => JSON.parse(alert.body).fireTime)).size).toBe(received.length);
    });

    it('never delay the next fires when the alert endpoint does not answer', async () => {
      const app = await start(
        '127.0.0.2',
        jobs({
          nightly: {
            elasticJobType: 'SCRIPT',
            cron: '* * * * * ?',
            shardingTotalCount: 1,
            jobErrorHandlerType: 'DINGTALK',
            props: {
              'script.command.line': failing(),
              'dingtalk.webhook': `http://127.0.0.1:${port}/hang`,
              'dingtalk.read.timeout.milliseconds': '3000',
            },
          },
        }),
      );
      await waitFor(() => recordedRuns().length >= 6, 15_000, 'six fires');
      const runs = recordedRuns().slice(1, 6);
      // Each fire starts its run on time (node's start-up included), one a second, though every alert hangs for 3 s.
      for (const run of runs) {
        expect(run.at % 1000).toBeLessThan(700);
      }
      expect(new Set(runs.map((run) => Math.floor(run.at / 1000))).size).toBe(5);
      await waitFor(
        () => app.output.some((line) => /the DINGTALK alert was not delivered/.test(line)),
        15_000,
        'the warning of an undelivered alert',
      );
      expect(app.output.filter((line) => /the DINGTALK alert was not delivered/.test(line))).toHaveLength(1);
    });
  });

  describe('retries', () => {
    const attempts = (app: AppProcess) => app.of('attempt');

    it('retry a failing item with exponential backoff until it succeeds; only the last failure is the item’s', async () => {
      const app = await start('127.0.0.2', {
        FLAKY_FAILURES: '2',
        RETRY_MAX_ATTEMPTS: '3',
        RETRY_BACKOFF_MS: '300',
      });
      await operate.trigger('flaky');
      await waitFor(() => attempts(app).length === 3, 10_000, 'three attempts');
      const runs = attempts(app);
      expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
      expect(new Set(runs.map((run) => run.fireTime)).size).toBe(1);
      const gaps = [(runs[1].at as number) - (runs[0].at as number), (runs[2].at as number) - (runs[1].at as number)];
      expect(gaps[0]).toBeGreaterThanOrEqual(300);
      expect(gaps[1]).toBeGreaterThanOrEqual(600);
      expect(gaps[1]).toBeLessThan(2000);
      const reported = failures(app, 'flaky').map((event) => event.attempt as Record<string, number>);
      expect(reported).toEqual([
        { attempt: 1, maxAttempts: 4, retryInMilliseconds: expect.any(Number) },
        { attempt: 2, maxAttempts: 4, retryInMilliseconds: expect.any(Number) },
      ]);
      // It succeeded: no fourth attempt comes, and no failure is the item's.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(attempts(app)).toHaveLength(3);
      expect(failures(app, 'flaky')).toHaveLength(2);
    });

    it('report the last failure as the item’s when the attempts run out', async () => {
      const app = await start('127.0.0.2', { FLAKY_FAILURES: '99', RETRY_MAX_ATTEMPTS: '2', RETRY_BACKOFF_MS: '100' });
      await operate.trigger('flaky');
      await waitFor(() => failures(app, 'flaky').length === 3, 10_000, 'three failures');
      expect(failures(app, 'flaky').map((event) => event.attempt)).toEqual([
        { attempt: 1, maxAttempts: 3, retryInMilliseconds: expect.any(Number) },
        { attempt: 2, maxAttempts: 3, retryInMilliseconds: expect.any(Number) },
        { attempt: 3, maxAttempts: 3 },
      ]);
      expect(attempts(app)).toHaveLength(3);
    });

    it('do not retry here an item that moved to another instance during the backoff', async () => {
      const env = {
        FLAKY_CRON: '0/2 * * * * ?',
        FLAKY_TOTAL: '2',
        FLAKY_FAILURES: '99',
        RETRY_MAX_ATTEMPTS: '1',
        RETRY_BACKOFF_MS: '3500',
        MONITOR_EXECUTION: 'false',
      };
      const first = await start('127.0.0.2', env);
      const second = await start('127.0.0.3', env);
      await assigned('flaky', 2);
      // A first attempt on the first instance whose retry is still ahead; then its server is switched off during the
      // backoff (the item moves to the second instance at the next fire, 2 s later at most).
      const pending = () =>
        attempts(first).find(
          (run) =>
            run.attempt === 1 &&
            Date.now() - (run.at as number) < 1000 &&
            !attempts(first).some((retry) => retry.fireTime === run.fireTime && retry.attempt === 2),
        );
      await waitFor(() => pending() !== undefined, 20_000, 'a first attempt with its retry ahead');
      const { item, fireTime } = pending()!;
      await operate.disable('flaky', '127.0.0.2');
      await waitFor(
        () => attempts(second).some((run) => run.item === item && (run.fireTime as number) > (fireTime as number)),
        10_000,
        'the item running on the other instance',
      );
      await waitFor(
        () => first.output.some((line) => new RegExp(`item ${item} is not retried`).test(line)),
        10_000,
        'the retry given up',
      );
      const retriedHere = attempts(first).filter((run) => run.fireTime === fireTime && (run.attempt as number) > 1);
      expect(retriedHere).toEqual([]);
    });
  });

  describe('triggers with a parameter', () => {
    const params = (app: AppProcess) => app.of('param');

    it('run with the given parameter on every instance; without one, with the configured one', async () => {
      const first = await start('127.0.0.2', {});
      const second = await start('127.0.0.3', {});
      await registered('param', 2);
      // A trigger reshards first when the leader flagged it at least 500 ms before (the reshard margin): wait for that,
      // so that the items are spread over both instances.
      await waitFor(
        async () => {
          const flag = await observer.getNode('/param/leader/sharding/necessary');
          return flag !== null && Date.now() - flag.stat.ctime > 700;
        },
        10_000,
        'the reshard flag of the second instance',
      );
      const before = { first: params(first).length, second: params(second).length };
      await operate.trigger('param', { jobParameter: 'region=eu' });
      await waitFor(() => params(first).length + params(second).length === 2, 10_000, 'both items');
      const triggered = [...params(first).slice(before.first), ...params(second).slice(before.second)];
      expect(params(first).slice(before.first)).toHaveLength(1);
      expect(params(second).slice(before.second)).toHaveLength(1);
      expect(triggered.map((run) => run.jobParameter)).toEqual(['region=eu', 'region=eu']);

      // As ElasticJob's tools write it (no data): the configured parameter.
      await observer.persist(`/param/trigger/${first.of('started')[0].ip}@-@${first.child.pid}`, '');
      await waitFor(() => params(first).length === before.first + 2, 10_000, 'the bare trigger');
      expect(params(first).at(-1)!.jobParameter).toBe('configured');

      // The CLI's --param.
      const cli = spawn(process.execPath, [
        CLI,
        '--zk',
        zk.connectString,
        '--namespace',
        namespace,
        'trigger',
        'param',
        '--param',
        'from cli',
      ]);
      const code = await new Promise((resolve) => cli.on('close', resolve));
      expect(code).toBe(0);
      await waitFor(
        () => params(second).length === before.second + 2 && params(first).length === before.first + 3,
        10_000,
        'the CLI trigger on both instances',
      );
      expect(params(second).at(-1)!.jobParameter).toBe('from cli');
      expect(params(first).at(-1)!.jobParameter).toBe('from cli');
    });

    it('queue triggers with different parameters while the job runs, and run each once', async () => {
      const app = await start('127.0.0.2', { PARAM_MS: '1000', PARAM_TOTAL: '1' });
      await registered('param', 1);
      await operate.trigger('param', { jobParameter: 'first' });
      await app.waitForEvent('param', 10_000);
      // Written while the first runs, two of them at the same moment (one node: neither may overwrite the other).
      await Promise.all([
        operate.trigger('param', { jobParameter: 'second' }),
        operate.trigger('param', { jobParameter: 'third' }),
      ]);
      await operate.trigger('param', { jobParameter: 'second' }); // the same as one queued: collapses into it
      await waitFor(() => app.of('param-end').length === 3, 15_000, 'three runs');
      const order = params(app).map((run) => run.jobParameter);
      expect(order[0]).toBe('first');
      expect(order.slice(1).sort()).toEqual(['second', 'third']);
      // Never two at once: each started after the previous ended.
      const ends = app.of('param-end');
      for (let i = 1; i < 3; i++) {
        expect(params(app)[i].at as number).toBeGreaterThanOrEqual(ends[i - 1].at as number);
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(params(app)).toHaveLength(3);
    });
  });
});
