import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobConfigurationError, ScriptJobError } from '../../lib/errors/elastic-job.error';
import { logger } from '../../lib/elastic-job.logger';
import {
  ItemRun,
  SCRIPT_COMMAND_LINE_PROP,
  SCRIPT_TIMEOUT_PROP,
  scriptJobExecutor,
  scriptJobSettings,
} from '../../lib/executor/job-types';
import { ResolvedJobConfiguration, ShardingContext } from '../../lib/interfaces';
import { CONTEXT_JSON_KEYS } from '../support/sharding-context-json';

// Real processes: each test writes small scripts into a temporary directory and runs them as a SCRIPT job would.
let dir: string;
let logSpy: jest.SpyInstance;
let warnSpy: jest.SpyInstance;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'script-job-'));
  logSpy = jest.spyOn(logger, 'log').mockImplementation(() => undefined);
  warnSpy = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes an executable script; `body` follows the shebang (`sh` unless another interpreter is given). */
function script(name: string, body: string, interpreter = '/bin/sh', mode = 0o755): string {
  const file = join(dir, name);
  writeFileSync(file, `#!${interpreter}\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

const configOf = (props: Record<string, string>, name = 'x') => ({ name, props }) as ResolvedJobConfiguration;

const runOf = (config: () => ResolvedJobConfiguration): ItemRun => ({
  isCurrent: () => true,
  isStreaming: () => false,
  configuration: config,
});

function contextOf(overrides: Partial<ShardingContext> = {}, controller = new AbortController()): ShardingContext {
  return {
    jobName: 'x',
    taskId: 'x@-@0@-@READY@-@127.0.0.1@-@1',
    shardingTotalCount: 2,
    shardingItem: 0,
    shardingParameter: 'Beijing',
    jobParameter: 'p',
    fireTime: 1_700_000_000_000,
    executionSource: 'NORMAL_TRIGGER',
    fencingToken: 7,
    attempt: 1,
    signal: controller.signal,
    ...overrides,
  } as ShardingContext;
}

/** Runs the job once with `props` for the item described by `context`. */
function runOnce(props: Record<string, string>, context = contextOf()): Promise<unknown> {
  const config = configOf(props);
  return Promise.resolve(
    scriptJobExecutor(config).execute(
      context,
      runOf(() => config),
    ),
  );
}

/** The error `work` rejects with (fails the test if it resolves). */
async function rejection(work: Promise<unknown>): Promise<Error> {
  const outcome = await work.then(
    () => undefined,
    (error: Error) => error,
  );
  if (!outcome) {
    throw new Error('expected the run to fail, it succeeded');
  }
  return outcome;
}

/** The error `work` throws synchronously. */
function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Whether a process (or with a negative id, a process group) is gone. A zombie (dead, not yet reaped by its parent or
 * by init) counts as gone: it runs nothing.
 */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (pid < 0) {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.startsWith('Z');
  } catch {
    return true;
  }
}

/** A node script writing its arguments (after the output file) as JSON into the file named by its first argument. */
const argvScript = () =>
  script(
    'argv.js',
    `require('fs').writeFileSync(process.argv[2], JSON.stringify(process.argv.slice(3)));`,
    process.execPath,
  );

describe('SCRIPT job', () => {
  it('passes its own arguments, then the sharding context as JSON, as the last argument', async () => {
    const out = join(dir, 'argv.json');
    await runOnce({ [SCRIPT_COMMAND_LINE_PROP]: `${argvScript()} ${out} "two words" '$HOME' $HOME` });

    const argv: string[] = JSON.parse(readFileSync(out, 'utf8'));
    expect(argv.slice(0, -1)).toEqual(['two words', '$HOME', '$HOME']);
    const sent = JSON.parse(argv[argv.length - 1]);
    expect(Object.keys(sent)).toEqual(CONTEXT_JSON_KEYS);
    expect(sent).toEqual({
      jobName: 'x',
      taskId: 'x@-@0@-@READY@-@127.0.0.1@-@1',
      shardingTotalCount: 2,
      jobParameter: 'p',
      shardingItem: 0,
      shardingParameter: 'Beijing',
    });
  });

  it('fails the item with the exit code and the end of the standard error', async () => {
    const failing = script('fail.sh', 'echo "first line" >&2\necho "the disk is full" >&2\nexit 3');

    const error = (await rejection(runOnce({ [SCRIPT_COMMAND_LINE_PROP]: failing }))) as ScriptJobError;

    expect(error).toBeInstanceOf(ScriptJobError);
    expect(error.exitCode).toBe(3);
    expect(error.signal).toBeNull();
    expect(error.timedOut).toBe(false);
    expect(error.stderr).toBe('first line\nthe disk is full');
    expect(error.message).toContain('exit code 3');
    expect(error.message).toContain('the disk is full');
    expect(warnSpy).toHaveBeenCalledWith('Job "x" item 0: the disk is full');
  });

  it('passes parameters with shell syntax as one argument, never running them', async () => {
    const out = join(dir, 'argv.json');
    const jobParameter = `a; touch ${dir}/pwned-1`;
    const shardingParameter = `$(touch ${dir}/pwned-2) \`touch ${dir}/pwned-3\` | touch ${dir}/pwned-4`;

    await runOnce(
      { [SCRIPT_COMMAND_LINE_PROP]: `${argvScript()} ${out}` },
      contextOf({ jobParameter, shardingParameter }),
    );

    const argv: string[] = JSON.parse(readFileSync(out, 'utf8'));
    expect(argv).toHaveLength(1);
    expect(JSON.parse(argv[0])).toMatchObject({ jobParameter, shardingParameter });
    for (const n of [1, 2, 3, 4]) {
      expect(existsSync(join(dir, `pwned-${n}`))).toBe(false);
    }
  });

  describe('rejects invalid props at start-up, naming the job and the prop', () => {
    it.each([
      ['a ";"', (ok: string) => `${ok}; touch /tmp/x`, '";"'],
      ['a "|"', (ok: string) => `${ok} | cat`, '"|"'],
      ['a redirect', (ok: string) => `${ok} > /tmp/out`, '">"'],
      ['"&&"', (ok: string) => `${ok} && ${ok}`, '"&&"'],
      ['a glob', (ok: string) => `${ok} *.txt`, '"*.txt"'],
    ])('shell syntax: %s', (_label, commandLine, token) => {
      const ok = script('ok.sh', 'exit 0');
      const error = thrown(() => scriptJobSettings('x', { [SCRIPT_COMMAND_LINE_PROP]: commandLine(ok) }));

      expect(error).toBeInstanceOf(JobConfigurationError);
      expect(error).toMatchObject({ jobName: 'x', field: SCRIPT_COMMAND_LINE_PROP });
      expect(error.message).toContain('Job "x"');
      expect(error.message).toContain(`props.${SCRIPT_COMMAND_LINE_PROP}`);
      expect(error.message).toContain(token);
      expect(error.message).toContain('without a shell');
      expect(error.message).toContain('sh -c');
    });

    it.each([
      ['missing', {}],
      ['blank', { [SCRIPT_COMMAND_LINE_PROP]: '   ' }],
      ['not found', { [SCRIPT_COMMAND_LINE_PROP]: '/nonexistent/x --flag' }],
      ['not on the PATH', { [SCRIPT_COMMAND_LINE_PROP]: 'no-such-command-anywhere-42' }],
    ])('command line: %s', (_label, props: Record<string, string>) => {
      const error = thrown(() => scriptJobExecutor(configOf(props)));

      expect(error).toBeInstanceOf(JobConfigurationError);
      expect(error).toMatchObject({ jobName: 'x', field: SCRIPT_COMMAND_LINE_PROP });
      expect(error.message).toContain('Job "x"');
      expect(error.message).toContain(SCRIPT_COMMAND_LINE_PROP);
      const command = props[SCRIPT_COMMAND_LINE_PROP]?.trim().split(' ')[0];
      if (command) {
        expect(error.message).toContain(command);
      }
    });

    it('command line: a file that is not executable', () => {
      const plain = script('plain.sh', 'exit 0', '/bin/sh', 0o644);
      const error = thrown(() => scriptJobExecutor(configOf({ [SCRIPT_COMMAND_LINE_PROP]: plain })));

      expect(error).toBeInstanceOf(JobConfigurationError);
      expect(error).toMatchObject({ jobName: 'x', field: SCRIPT_COMMAND_LINE_PROP });
      expect(error.message).toContain(plain);
    });

    it.each(['0', '-5', '1.5', '10s', '', '99999999999'])('timeout %j', (timeout) => {
      const ok = script('ok.sh', 'exit 0');
      const props = { [SCRIPT_COMMAND_LINE_PROP]: ok, [SCRIPT_TIMEOUT_PROP]: timeout };
      const error = thrown(() => scriptJobExecutor(configOf(props)));

      expect(error).toBeInstanceOf(JobConfigurationError);
      expect(error).toMatchObject({ jobName: 'x', field: SCRIPT_TIMEOUT_PROP });
      expect(error.message).toContain('Job "x"');
      expect(error.message).toContain(SCRIPT_TIMEOUT_PROP);
    });

    it('resolves the command to an absolute path, a relative one against the working directory', () => {
      const settings = scriptJobSettings('x', {
        [SCRIPT_COMMAND_LINE_PROP]: 'sh -c "exit 0"',
        [SCRIPT_TIMEOUT_PROP]: '50',
      });
      expect(settings.argv[0]).toMatch(/^\/.*\/sh$/);
      expect(settings.argv.slice(1)).toEqual(['-c', 'exit 0']);
      expect(settings.timeoutMs).toBe(50);

      const ok = script('ok.sh', 'exit 0');
      const cwd = process.cwd();
      try {
        process.chdir(dir);
        expect(scriptJobSettings('x', { [SCRIPT_COMMAND_LINE_PROP]: './ok.sh' }).argv).toEqual([ok]);
      } finally {
        process.chdir(cwd);
      }
    });
  });

  it('kills the whole process group when the run is aborted', async () => {
    const pids = join(dir, 'pids');
    const tree = script('tree.sh', 'sleep 30 &\necho "$$ $!" > "$1.tmp" && mv "$1.tmp" "$1"\nwait');
    const controller = new AbortController();

    const running = rejection(runOnce({ [SCRIPT_COMMAND_LINE_PROP]: `${tree} ${pids}` }, contextOf({}, controller)));
    await until(() => existsSync(pids), 'the script to start its child');
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(gone(shell) || gone(sleeper)).toBe(false);
    controller.abort(new Error('lease lost'));

    const error = (await running) as ScriptJobError;
    expect(error).toBeInstanceOf(ScriptJobError);
    expect(error.message).toContain('aborted');
    expect(error.message).toContain('lease lost');
    expect(error.timedOut).toBe(false);
    await until(() => gone(shell) && gone(sleeper), 'the script and its child to be gone');
  });

  it('does not start the script when the run is already aborted', async () => {
    const marker = join(dir, 'started');
    const touch = script('touch.sh', 'touch "$1"');
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));

    const error = await rejection(
      runOnce({ [SCRIPT_COMMAND_LINE_PROP]: `${touch} ${marker}` }, contextOf({}, controller)),
    );

    expect(error).toBeInstanceOf(ScriptJobError);
    expect(error.message).toContain('aborted');
    expect(error.message).toContain('shutting down');
    expect(existsSync(marker)).toBe(false);
  });

  it('kills the script when script.timeout.milliseconds runs out', async () => {
    const pid = join(dir, 'pid');
    const slow = script('slow.sh', 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1"\nsleep 30');
    const started = Date.now();

    const error = (await rejection(
      runOnce({ [SCRIPT_COMMAND_LINE_PROP]: `${slow} ${pid}`, [SCRIPT_TIMEOUT_PROP]: '300' }),
    )) as ScriptJobError;

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(ScriptJobError);
    expect(error.timedOut).toBe(true);
    expect(error.signal).toBe('SIGTERM');
    expect(error.message).toContain('timed out after 300 ms');
    const group = Number(readFileSync(pid, 'utf8'));
    await until(() => gone(-group), 'the process group to be gone');
  });

  it('ends the run soon after the script exits, even if a background child keeps its output open', async () => {
    const pid = join(dir, 'pid');
    const forking = script('fork.sh', 'sleep 5 &\necho $! > "$1"\necho started');
    const started = Date.now();

    try {
      await runOnce({ [SCRIPT_COMMAND_LINE_PROP]: `${forking} ${pid}` });
      expect(Date.now() - started).toBeLessThan(4000);
      expect(logSpy).toHaveBeenCalledWith('Job "x" item 0: started');
    } finally {
      process.kill(Number(readFileSync(pid, 'utf8')), 'SIGKILL');
    }
  });

  it('fails the run, without an exit code, when the command cannot be started any more', async () => {
    const vanishing = script('vanishing.sh', 'exit 0');
    const config = configOf({ [SCRIPT_COMMAND_LINE_PROP]: vanishing });
    const executor = scriptJobExecutor(config);
    unlinkSync(vanishing);

    const error = (await rejection(
      Promise.resolve(
        executor.execute(
          contextOf(),
          runOf(() => config),
        ),
      ),
    )) as ScriptJobError;

    expect(error).toBeInstanceOf(ScriptJobError);
    expect(error.exitCode).toBeNull();
    expect(error.message).toContain('ENOENT');
  });

  it('logs the lines of standard output and standard error, naming the job and the item', async () => {
    const talking = script('talk.sh', 'echo hello\necho "careful" >&2\nprintf "no newline"');

    await runOnce({ [SCRIPT_COMMAND_LINE_PROP]: talking }, contextOf({ shardingItem: 1 }));
    await runOnce({ [SCRIPT_COMMAND_LINE_PROP]: talking });

    expect(logSpy).toHaveBeenCalledWith('Job "x" item 1: hello');
    expect(logSpy).toHaveBeenCalledWith('Job "x" item 1: no newline');
    expect(logSpy).toHaveBeenCalledWith('Job "x" item 0: hello');
    expect(warnSpy).toHaveBeenCalledWith('Job "x" item 0: careful');
    expect(logSpy).not.toHaveBeenCalledWith('Job "x" item 0: careful');
  });

  it('follows live changes of the props from one run to the next', async () => {
    const out = join(dir, 'which');
    const first = script('first.sh', 'echo first > "$1"');
    const second = script('second.sh', 'echo second > "$1"');
    let config = configOf({ [SCRIPT_COMMAND_LINE_PROP]: `${first} ${out}` });
    const run = runOf(() => config);
    const executor = scriptJobExecutor(config);

    await executor.execute(contextOf(), run);
    expect(readFileSync(out, 'utf8')).toBe('first\n');

    config = configOf({ [SCRIPT_COMMAND_LINE_PROP]: `${second} ${out}` });
    await executor.execute(contextOf(), run);
    expect(readFileSync(out, 'utf8')).toBe('second\n');

    config = configOf({ [SCRIPT_COMMAND_LINE_PROP]: `${second} ${out} | cat` });
    const error = await rejection(Promise.resolve(executor.execute(contextOf(), run)));
    expect(error).toBeInstanceOf(JobConfigurationError);
    expect(error).toMatchObject({ jobName: 'x', field: SCRIPT_COMMAND_LINE_PROP });
  });
});
