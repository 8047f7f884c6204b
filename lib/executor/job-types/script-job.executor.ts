import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { parse } from 'shell-quote';
import which from 'which';
import { JobConfigurationError, ScriptJobError } from '../../errors/elastic-job.error';
import { logger } from '../../elastic-job.logger';
import {
  invalidJobField,
  missingJobField,
  scriptCommandNotFound,
  scriptJobFailed,
  scriptNeedsShell,
} from '../../elastic-job.messages';
import { ResolvedJobConfiguration, ShardingContext } from '../../interfaces';
import { settingsPerProps } from '../../config';
import { JobItemExecutor } from './job-item-executor';
import { shardingContextJson } from './sharding-context.json';

/** The job's property holding the command line run for each item (ElasticJob's name). */
export const SCRIPT_COMMAND_LINE_PROP = 'script.command.line';
/** The job's optional property bounding a run: the process group is killed when it runs out. */
export const SCRIPT_TIMEOUT_PROP = 'script.timeout.milliseconds';

/** A script job's props, checked: what to spawn and for how long. */
export interface ScriptJobSettings {
  /** The command (an absolute path) and its own arguments; the sharding context is appended per run. */
  readonly argv: string[];
  /** Kill the run after this many milliseconds; none when absent. */
  readonly timeoutMs?: number;
}

const STDERR_TAIL_BYTES = 4096;
/** How long a process group killed with SIGTERM has before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** How long the output of an exited script may still be read (a background child may hold its pipes open). */
const OUTPUT_DRAIN_MS = 1000;
/** setTimeout fires at once beyond this. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Checks the props of a script job; throws JobConfigurationError(message, jobName, field) naming the job and the prop. */
export function scriptJobSettings(jobName: string, props: Readonly<Record<string, string>>): ScriptJobSettings {
  const fail = (prop: string, message: string) => new JobConfigurationError(message, jobName, prop);
  const field = `props.${SCRIPT_COMMAND_LINE_PROP}`;
  const commandLine = props[SCRIPT_COMMAND_LINE_PROP];
  if (typeof commandLine !== 'string' || commandLine.trim() === '') {
    throw fail(SCRIPT_COMMAND_LINE_PROP, missingJobField(jobName, field));
  }
  // Split like a shell would, but keep `$VAR` literal: the command runs without a shell, so nothing is expanded.
  const argv: string[] = [];
  for (const entry of parse(commandLine, (name) => `$${name}`)) {
    if (typeof entry !== 'string') {
      const token = 'comment' in entry ? `#${entry.comment}` : 'pattern' in entry ? entry.pattern : entry.op;
      throw fail(SCRIPT_COMMAND_LINE_PROP, scriptNeedsShell(jobName, field, commandLine, token));
    }
    argv.push(entry);
  }
  const found = which.sync(argv[0], { nothrow: true });
  if (!found) {
    throw fail(SCRIPT_COMMAND_LINE_PROP, scriptCommandNotFound(jobName, field, commandLine, argv[0]));
  }
  argv[0] = resolve(found);
  const timeout = props[SCRIPT_TIMEOUT_PROP];
  if (timeout === undefined) {
    return { argv };
  }
  const timeoutMs = /^\d+$/.test(timeout) ? Number(timeout) : NaN;
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    const reason = `must be a positive integer of milliseconds, at most ${MAX_TIMEOUT_MS}`;
    throw fail(SCRIPT_TIMEOUT_PROP, invalidJobField(jobName, `props.${SCRIPT_TIMEOUT_PROP}`, timeout, reason));
  }
  return { argv, timeoutMs };
}

/**
 * A script job (ElasticJob's `SCRIPT`): per item, runs `script.command.line` without a shell, the item's sharding
 * context as JSON appended as the last argument, and fails the item unless it exits 0. Throws at once if the props are
 * invalid or the command is missing or not executable; later runs read the live props.
 */
export function scriptJobExecutor(config: ResolvedJobConfiguration): JobItemExecutor {
  const settings = settingsPerProps(scriptJobSettings);
  const settingsOf = ({ name, props }: ResolvedJobConfiguration) => settings(name, props);
  settingsOf(config);
  return {
    type: 'SCRIPT',
    async execute(context, run) {
      return runScript(settingsOf(run.configuration()), context);
    },
  };
}

/** Kills the whole process group (the script and what it started), SIGKILL if still there after the grace period. */
function killGroup(pid: number): void {
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
        logger.warn(`Cannot send ${signal} to process group ${pid}: ${error}`);
      }
    }
  };
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
}

/** Runs the command once for the item: resolves when it exits 0, else rejects with a ScriptJobError. */
function runScript({ argv, timeoutMs }: ScriptJobSettings, context: ShardingContext): Promise<void> {
  const { jobName, shardingItem: item } = context;
  const signal = context.signal; // read once: reading it makes the run abortable
  const reasonOf = () => (signal.reason instanceof Error ? signal.reason.message : String(signal.reason));
  const failure = (
    how: string,
    stderr = '',
    code: number | null = null,
    sig: NodeJS.Signals | null = null,
    timedOut = false,
  ) => new ScriptJobError(scriptJobFailed(jobName, item, how, stderr), jobName, item, code, sig, stderr, timedOut);
  if (signal.aborted) {
    return Promise.reject(failure(`was aborted before it started: ${reasonOf()}`));
  }
  return new Promise((resolveRun, rejectRun) => {
    const [command, ...args] = argv;
    // Its own process group (detached), so that a kill reaches the children of the script too.
    const child = spawn(command, [...args, shardingContextJson(context)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderrTail = '';
    let killed: { how: string; timedOut: boolean } | undefined;
    const lines = (stream: Readable, onLine: (line: string) => void) =>
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
    lines(child.stdout, (line) => logger.log(`Job "${jobName}" item ${item}: ${line}`));
    lines(child.stderr, (line) => {
      logger.warn(`Job "${jobName}" item ${item}: ${line}`);
      stderrTail = `${stderrTail}${line}\n`.slice(-STDERR_TAIL_BYTES);
    });
    const stop = (how: string, timedOut = false) => {
      if (!killed && child.pid !== undefined) {
        killed = { how, timedOut };
        killGroup(child.pid);
      }
    };
    const onAbort = () => stop(`was aborted: ${reasonOf()}`);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${timeoutMs} ms`, true), timeoutMs);
    let drain: NodeJS.Timeout | undefined;
    const settle = (error?: ScriptJobError) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      clearTimeout(drain);
      return error ? rejectRun(error) : resolveRun();
    };
    child.once('error', (error) => settle(failure(`could not be started: ${error.message}`)));
    // A background child keeping the pipes open must not hold the run once the script itself has exited.
    child.once('exit', () => {
      drain = setTimeout(() => [child.stdout, child.stderr].forEach((s) => s.destroy()), OUTPUT_DRAIN_MS).unref();
    });
    child.once('close', (code, sig) => {
      const tail = stderrTail.trimEnd();
      if (killed) {
        const ended = sig ? `ended by ${sig}` : `exit code ${code}`;
        settle(failure(`${killed.how} (${ended})`, tail, code, sig, killed.timedOut));
      } else if (code === 0) {
        settle();
      } else {
        settle(failure(sig ? `was killed by ${sig}` : `failed with exit code ${code}`, tail, code, sig));
      }
    });
  });
}
