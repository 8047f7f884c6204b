import { AppProcess } from './app-process';

/** One run of an item as the fixture app reported it: from its `run` event to its `end` (or the process's end). */
export interface AuditedRun {
  instance: string;
  item: number;
  fireTime: number;
  source: string;
  token: number;
  start: number;
  /** When it ended: its `end` event, or the moment its process was killed; `Infinity` while it runs. */
  end: number;
  /** Ended by an aborted signal, or by the process being killed. */
  cut: boolean;
}

/**
 * Rebuilds every run of the fixture app's job from the events of its processes. `killedAt` gives, per process, when
 * it was killed: a run without an `end` event ended then.
 */
export function auditedRuns(processes: Map<string, AppProcess>, killedAt = new Map<string, number>()): AuditedRun[] {
  const runs: AuditedRun[] = [];
  for (const [instance, app] of processes) {
    const open = new Map<number, AuditedRun>();
    for (const event of app.events) {
      const item = Number(event.item);
      if (event.event === 'run') {
        const run: AuditedRun = {
          instance,
          item,
          fireTime: Number(event.fireTime),
          source: String(event.source),
          token: Number(event.token),
          start: Number(event.at),
          end: Infinity,
          cut: false,
        };
        open.set(item, run);
        runs.push(run);
      } else if (event.event === 'end' && open.has(item)) {
        const run = open.get(item)!;
        open.delete(item);
        run.end = Number(event.at);
        run.cut = event.aborted === true;
      }
    }
    const killed = killedAt.get(instance);
    if (killed !== undefined) {
      for (const run of open.values()) {
        run.end = killed;
        run.cut = true;
      }
    }
  }
  return runs.sort((a, b) => a.start - b.start);
}

/**
 * The invariants: for each (item, fire) at most one run that was not cut short; no two runs of an item at
 * overlapping times (on any instances). Returns the violations, readable.
 */
export function invariantViolations(runs: AuditedRun[]): string[] {
  const violations: string[] = [];
  const completed = new Map<string, AuditedRun[]>();
  for (const run of runs.filter((r) => !r.cut)) {
    const key = `item ${run.item} fire ${run.fireTime}`;
    completed.set(key, [...(completed.get(key) ?? []), run]);
  }
  for (const [key, list] of completed) {
    if (list.length > 1) {
      violations.push(`${key} ran ${list.length} times: ${list.map(describe).join('; ')}`);
    }
  }
  const byItem = new Map<number, AuditedRun[]>();
  runs.forEach((run) => byItem.set(run.item, [...(byItem.get(run.item) ?? []), run]));
  for (const list of byItem.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        if (a.start < b.end && b.start < a.end) {
          violations.push(`overlap: ${describe(a)} and ${describe(b)}`);
        }
      }
    }
  }
  return violations;
}

const describe = (run: AuditedRun) =>
  `${run.source} on ${run.instance} [${run.start}, ${run.end}]${run.cut ? ' cut' : ''} fire ${run.fireTime}`;
