import { CompiledCron } from './cron-expression';
import { MinHeap } from './min-heap';
import { logger } from '../elastic-job.logger';

/**
 * Called at each fire with the scheduled fire time (epoch ms). `missed` is true when the process was blocked past the
 * following fire time too: those fires were missed, and `fireTime` is then the latest of them.
 */
export type FireTask = (fireTime: number, missed: boolean) => void;

interface ScheduleGroup {
  readonly cron: CompiledCron;
  readonly tasks: Set<FireTask>;
  next: number;
  queued: boolean;
}

// setTimeout's ceiling; a longer wait is split.
const MAX_DELAY = 2_147_483_647;
// No cron fires more often than once a second: a timer later than this may have missed fires.
const MISS_POSSIBLE_MS = 1_000;
// Missed fire times counted at most (a long pause on a 1-second cron).
const MAX_MISSED_SCAN = 10_000;

/**
 * One timer for every job of the process. Jobs with the same cron and zone share a group whose next fire time is
 * computed once per fire, not once per job; groups wait in a heap ordered by next fire time.
 */
export class CronTimer {
  private readonly groups = new Map<string, ScheduleGroup>();
  private readonly heap = new MinHeap<ScheduleGroup>((group) => group.next);
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private started = false;

  /** Adds a task; returns the function that removes it. */
  add(cron: CompiledCron, task: FireTask): () => void {
    let group = this.groups.get(cron.key);
    if (!group) {
      group = { cron, tasks: new Set(), next: Infinity, queued: false };
      this.groups.set(cron.key, group);
    }
    group.tasks.add(task);
    if (!group.queued) {
      this.enqueue(group, Date.now());
      this.arm();
    }
    // The remover keeps the group and its key only, not the task's compiled expression.
    const owner = group;
    const key = cron.key;
    return () => {
      owner.tasks.delete(task);
      if (owner.tasks.size === 0 && this.groups.get(key) === owner) {
        this.groups.delete(key);
      }
    };
  }

  start(): void {
    this.started = true;
    this.arm();
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Number of distinct (cron, zone) groups, for diagnostics. */
  get groupCount(): number {
    return this.groups.size;
  }

  private enqueue(group: ScheduleGroup, after: number): void {
    const next = group.cron.next(after);
    group.queued = next !== null;
    if (next !== null) {
      group.next = next;
      this.heap.push(group);
    } else {
      this.groups.delete(group.cron.key);
    }
  }

  private arm(): void {
    const head = this.heap.peek();
    if (!this.started || !head || head.next >= this.timerAt) {
      return;
    }
    clearTimeout(this.timer);
    this.timerAt = head.next;
    this.timer = setTimeout(() => this.tick(), Math.min(Math.max(head.next - Date.now(), 0), MAX_DELAY));
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    for (let head = this.heap.peek(); head && head.next <= now; head = this.heap.peek()) {
      this.heap.pop();
      let fireTime = head.next;
      if (head.tasks.size === 0) {
        head.queued = false;
        continue;
      }
      // Fire times missed while the process was blocked collapse into one call, flagged, with the latest of them.
      let missed = false;
      if (now - fireTime >= MISS_POSSIBLE_MS) {
        for (let n = 0, following = head.cron.next(fireTime); following !== null && following <= now; n++) {
          missed = true;
          fireTime = following;
          following = n < MAX_MISSED_SCAN ? head.cron.next(following) : null;
        }
      }
      this.enqueue(head, Math.max(fireTime, now));
      for (const task of head.tasks) {
        try {
          task(fireTime, missed);
        } catch (error) {
          logger.error(`Scheduled task failed: ${error instanceof Error ? error.stack : error}`);
        }
      }
    }
    this.arm();
  }
}
