/**
 * The duplicate/miss audit: every run is keyed by (job, item, fire); each key expected once. `duplicates` counts runs
 * beyond the first of a key, `misses` the expected keys nobody ran.
 */
export class RunAudit {
  private readonly counts = new Map<string, number>();

  /** Records one run. `fire` identifies the scheduled fire (epoch ms of its fire time, or its second). */
  record(job: string | number, item: number, fire: number): void {
    const key = `${job}|${item}|${fire}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Adds counts recorded elsewhere (another process), keyed as `record` keys them. */
  merge(counts: Record<string, number>): void {
    for (const [key, count] of Object.entries(counts)) {
      this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    }
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Checks the runs of `fires` against every (job, item) of `jobs` x `items`. */
  verdict(jobs: Array<string | number>, items: number, fires: number[]) {
    let runs = 0;
    let duplicates = 0;
    let misses = 0;
    const wanted = new Set<string>();
    for (const job of jobs) {
      for (let item = 0; item < items; item++) {
        for (const fire of fires) {
          wanted.add(`${job}|${item}|${fire}`);
        }
      }
    }
    for (const key of wanted) {
      const count = this.counts.get(key) ?? 0;
      runs += count;
      duplicates += Math.max(0, count - 1);
      misses += count === 0 ? 1 : 0;
    }
    return { runs, expected: wanted.size, duplicates, misses };
  }
}
