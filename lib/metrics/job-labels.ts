/** The `job` label of the jobs beyond the label limit. */
export const OTHER_JOBS_LABEL = '_other';

/** Distinct job names labelled by default, at most. */
export const DEFAULT_JOB_LABEL_LIMIT = 1000;

/**
 * The `job` label of a job name, bounded: the first `limit` names seen are labelled as they are, later ones share
 * `_other`, so that a namespace of many jobs (or of jobs made at runtime) cannot grow the series without end. A name
 * keeps its label for the process's life (its counters stay registered under it).
 */
export class JobLabels {
  private readonly labelled = new Set<string>();

  constructor(private readonly limit: number) {}

  of(jobName: string): string {
    if (this.labelled.has(jobName)) {
      return jobName;
    }
    if (this.labelled.size < this.limit) {
      this.labelled.add(jobName);
      return jobName;
    }
    return OTHER_JOBS_LABEL;
  }
}
