import { ShardingContext } from '../../lib';

/** One handler call, as a test records it. */
export interface RecordedRun {
  jobName: string;
  item: number;
  parameter: string;
  jobParameter: string;
  taskId: string;
  startedAt: number;
  endedAt?: number;
}

/** Records handler calls and answers the questions tests ask about them. */
export class ExecutionLog {
  readonly runs: RecordedRun[] = [];

  start(context: ShardingContext): RecordedRun {
    const run: RecordedRun = {
      jobName: context.jobName,
      item: context.shardingItem,
      parameter: context.shardingParameter,
      jobParameter: context.jobParameter,
      taskId: context.taskId,
      startedAt: Date.now(),
    };
    this.runs.push(run);
    return run;
  }

  of(jobName: string): RecordedRun[] {
    return this.runs.filter((run) => run.jobName === jobName);
  }

  /** Runs grouped by the second they started in (a 1-second cron fires at the start of each second). */
  bySecond(jobName: string): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    for (const run of this.of(jobName)) {
      const second = Math.floor(run.startedAt / 1000);
      groups.set(second, [...(groups.get(second) ?? []), run.item]);
    }
    return groups;
  }

  /** Number of distinct fires (seconds) in which the job ran at least once. */
  fires(jobName: string): number {
    return this.bySecond(jobName).size;
  }
}
