import { JobConfigurationError } from '../errors';
import { invalidJobField } from '../elastic-job.messages';

const FIELD = 'shardingItemParameters';

/**
 * Parses `0=Beijing,1=Shanghai` into a map item -> parameter. Items must be integers in
 * `0 .. shardingTotalCount - 1`, each named once; a value may contain `=` but not `,`.
 */
export function parseShardingItemParameters(
  jobName: string,
  text: string | undefined,
  shardingTotalCount: number,
): Map<number, string> {
  const result = new Map<number, string>();
  if (text === undefined || text.trim() === '') {
    return result;
  }
  for (const rawPair of text.split(',')) {
    const pair = rawPair.trim();
    const eq = pair.indexOf('=');
    const fail = (reason: string): never => {
      throw new JobConfigurationError(invalidJobField(jobName, FIELD, text, reason), jobName, FIELD);
    };
    if (eq <= 0) {
      fail(`"${pair}" is not of the form item=parameter`);
    }
    const key = pair.slice(0, eq).trim();
    if (!/^\d+$/.test(key)) {
      fail(`item "${key}" is not a non-negative integer`);
    }
    const item = Number(key);
    if (item >= shardingTotalCount) {
      fail(`item ${item} is out of range 0..${shardingTotalCount - 1} (shardingTotalCount ${shardingTotalCount})`);
    }
    if (result.has(item)) {
      fail(`item ${item} is given twice`);
    }
    result.set(item, pair.slice(eq + 1).trim());
  }
  return result;
}
