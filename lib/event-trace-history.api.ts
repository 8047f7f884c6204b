import { Injectable } from '@nestjs/common';
import { ElasticJobRuntime } from './elastic-job.runtime';
import { ModuleOptionsError } from './errors';
import {
  EventTraceCondition,
  EventTraceResult,
  JobExecutionEventRow,
  JobStatusTraceEventRow,
  TracingPool,
} from './interfaces';
import { EXECUTION_TABLE, queryEvents, STATUS_TABLE } from './tracing';

/**
 * The execution history written by tracing (ElasticJob's `JOB_EXECUTION_LOG` and `JOB_STATUS_TRACE_LOG`, also when
 * ElasticJob itself wrote them): paged, filtered queries, rows with ElasticJob's fields in camelCase. Needs the module
 * option `tracing`.
 */
@Injectable()
export class EventTraceHistoryApi {
  constructor(private readonly runtime: ElasticJobRuntime) {}

  /** Item runs (one row per run and attempt), newest first unless `sort`/`order` say otherwise. */
  findJobExecutionEvents(condition: EventTraceCondition = {}): Promise<EventTraceResult<JobExecutionEventRow>> {
    return this.query(() => queryEvents<JobExecutionEventRow>(this.pool(), EXECUTION_TABLE, condition));
  }

  /** Steps of executions (`TASK_STAGING`, `TASK_RUNNING`, `TASK_FINISHED`, `TASK_ERROR`), newest first by default. */
  findJobStatusTraceEvents(condition: EventTraceCondition = {}): Promise<EventTraceResult<JobStatusTraceEventRow>> {
    return this.query(() => queryEvents<JobStatusTraceEventRow>(this.pool(), STATUS_TABLE, condition));
  }

  private async query<T>(run: () => Promise<T>): Promise<T> {
    // A query before the first write still finds the tables.
    await this.runtime.tracing?.storage.ready();
    return run();
  }

  private pool(): TracingPool {
    const tracing = this.runtime.tracing;
    if (!tracing) {
      throw new ModuleOptionsError(
        "EventTraceHistoryApi needs the module option tracing ({ type: 'RDB', dataSource })",
        'tracing',
      );
    }
    return tracing.pool;
  }
}
