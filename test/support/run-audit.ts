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

/** A span in which an instance's connection to ZooKeeper was cut. */
export interface Cut {
  instance: string;
  from: number;
  to: number;
}

/**
 * The one at-least-once corner: a run that ended normally on an instance whose connection was cut while it ran (it
 * could not record its end), repeated by a failover run elsewhere for the same fire with a larger fencing token.
 */
function isCorner(first: AuditedRun, second: AuditedRun, cuts: Cut[]): boolean {
  return (
    cuts.some((cut) => cut.instance === first.instance && first.start < cut.from && first.end >= cut.from) &&
    second.source === 'FAILOVER' &&
    second.instance !== first.instance &&
    second.fireTime === first.fireTime &&
    second.token > first.token &&
    second.start >= first.end
  );
}

/**
 * Runs of an (item, fire) beyond the first that was not cut short: real duplicates, and the corner runs of `cuts`
 * (counted apart: a run that finished on a cut-off instance and could not record it is repeated once by failover).
 */
export function repeatedRuns(runs: AuditedRun[], cuts: Cut[] = []): { duplicates: string[]; corners: AuditedRun[] } {
  const duplicates: string[] = [];
  const corners: AuditedRun[] = [];
  const completed = new Map<string, AuditedRun[]>();
  for (const run of runs.filter((r) => !r.cut)) {
    const key = `item ${run.item} fire ${run.fireTime}`;
    completed.set(key, [...(completed.get(key) ?? []), run]);
  }
  for (const [key, list] of completed) {
    if (list.length === 2 && isCorner(list[0], list[1], cuts)) {
      corners.push(list[1]);
    } else if (list.length > 1) {
      duplicates.push(`${key} ran ${list.length} times: ${list.map(describe).join('; ')}`);
    }
  }
  return { duplicates, corners };
}

/**
 * The invariants: for each (item, fire) at most one run that was not cut short (but for the corner runs of `cuts`);
 * no two runs of an item at overlapping times (on any instances). Returns the violations, readable.
 */
export function invariantViolations(runs: AuditedRun[], cuts: Cut[] = []): string[] {
  const violations = repeatedRuns(runs, cuts).duplicates;
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

/**
 * Fires of `items` from `from` to `to` (every `periodMs`) that nobody ran: a fire counts as run when a run has its
 * fire time, or when the next fire of the item that did run was run as a misfire (missed fires collapse into one
 * misfire run of the latest of them).
 */
export function lostFires(runs: AuditedRun[], items: number[], from: number, to: number, periodMs = 1000): string[] {
  const lost: string[] = [];
  for (const item of items) {
    const ran = runs.filter((r) => r.item === item);
    for (let fire = from; fire <= to; fire += periodMs) {
      if (ran.some((r) => r.fireTime === fire)) {
        continue;
      }
      const next = ran.filter((r) => r.fireTime > fire).sort((a, b) => a.fireTime - b.fireTime)[0];
      if (!next || next.source !== 'MISFIRE') {
        lost.push(`item ${item} fire ${new Date(fire).toISOString()}`);
      }
    }
  }
  return lost;
}

const describe = (run: AuditedRun) =>
  `${run.source} on ${run.instance} [${run.start}, ${run.end}]${run.cut ? ' cut' : ''} fire ${run.fireTime}`;

/**
 * The latest fire at which every one of `items` items ran, spread over `instances` (that many different instances,
 * or each of the named ones); `undefined` when there is none yet.
 */
export function settledFire(runs: AuditedRun[], items: number, instances: number | string[]): number | undefined {
  const byFire = new Map<number, AuditedRun[]>();
  runs.forEach((r) => byFire.set(r.fireTime, [...(byFire.get(r.fireTime) ?? []), r]));
  const fires = [...byFire.entries()]
    .filter(([, list]) => new Set(list.map((r) => r.item)).size === items)
    .filter(([, list]) =>
      typeof instances === 'number'
        ? new Set(list.map((r) => r.instance)).size === instances
        : instances.every((instance) => list.some((r) => r.instance === instance)),
    )
    .map(([fire]) => fire);
  return fires.length > 0 ? Math.max(...fires) : undefined;
}
