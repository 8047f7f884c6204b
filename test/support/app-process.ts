import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from './zookeeper-server';

/** A line of JSON an app process printed (its `event` names what happened). */
export type AppEvent = { event: string } & Record<string, unknown>;

/**
 * A real OS process running an application; collects the JSON lines it prints, so that tests can wait for events.
 */
export class AppProcess {
  readonly events: AppEvent[] = [];
  readonly output: string[] = [];
  private readonly exited: Promise<number | NodeJS.Signals | null>;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.output.push(line);
        if (line.startsWith('{')) {
          try {
            this.events.push(JSON.parse(line));
          } catch {
            // not an event line
          }
        }
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  }

  /** Starts `node args...`; with `stdin`, lines can be sent to the process (`send`). */
  static spawn(name: string, args: string[], env: Record<string, string>, cwd?: string, stdin = false): AppProcess {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child, name);
  }

  /** Writes one line to the process's stdin (spawned with `stdin`). */
  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  of(event: string): AppEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  async waitForEvent(event: string, timeoutMs: number, count = 1): Promise<AppEvent> {
    await waitFor(
      () => this.of(event).length >= count || this.child.exitCode !== null,
      timeoutMs,
      `${this.name}: ${count} × ${event}`,
    );
    if (this.of(event).length < count) {
      throw new Error(
        `${this.name} exited (${this.child.exitCode}) before ${event}:\n${this.output.slice(-30).join('\n')}`,
      );
    }
    return this.of(event)[count - 1];
  }

  /** Sends a signal and waits for the process to end; returns its exit code, or the signal that ended it. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | NodeJS.Signals | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    return this.exited;
  }
}
