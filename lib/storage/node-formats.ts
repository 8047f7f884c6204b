import { ID_SEPARATOR } from '../elastic-job.constants';

/** ElasticJob's instance id, `{ip}@-@{pid}` (or any id an application sets, whose part before `@-@` is its ip). */
export const instanceIdOf = (ip: string, pid: number | string): string => `${ip}${ID_SEPARATOR}${pid}`;

/** The server ip of an instance id (its part before `@-@`). */
export const ipOf = (instanceId: string): string => instanceId.split(ID_SEPARATOR)[0];

/** ElasticJob's task id, `{jobName}@-@{items}@-@{READY|FAILOVER}@-@{instanceId}`. */
export const taskIdOf = (
  jobName: string,
  items: readonly number[],
  kind: 'READY' | 'FAILOVER',
  instanceId: string,
): string => [jobName, items.join(','), kind, instanceId].join(ID_SEPARATOR);

/** What a `running` marker says: who runs the item, in which ZooKeeper session, for which fire. */
export interface RunningMarker {
  instanceId: string;
  sessionId: string;
  fireTime: number;
}

/** The start of a session's markers (`{instanceId} {sessionId} {fireTime}`): the fire time follows. */
export const runningMarkerPrefix = (instanceId: string, sessionId: string): string => `${instanceId} ${sessionId} `;

/**
 * Reads a marker's data: this module's `{instanceId} {sessionId} {fireTime}`, or ElasticJob's, which holds the
 * instance id alone (then no session and fire time 0); `undefined` for anything else (an empty node).
 */
export function parseRunningMarker(data: string | undefined | null): RunningMarker | undefined {
  const [instanceId, sessionId, fireTime] = (data ?? '').split(' ');
  if (instanceId && sessionId) {
    return { instanceId, sessionId, fireTime: Number(fireTime) || 0 };
  }
  return instanceId?.includes(ID_SEPARATOR) ? { instanceId, sessionId: '', fireTime: 0 } : undefined;
}

/** The fire a `misfire` node records; `undefined` for ElasticJob's empty node (a fire found the item running). */
export function recordedFire(data: string | null | undefined): number | undefined {
  const fireTime = Number(data);
  return data && Number.isFinite(fireTime) && fireTime > 0 ? fireTime : undefined;
}

/** One operator trigger: its time (ZooKeeper's clock) and, when given, the parameter of that run. */
export interface TriggerRequest {
  fireTime: number;
  jobParameter?: string;
}

/**
 * The data of a `trigger/{instanceId}` node: a JSON list of the triggers queued for the instance, so that triggers
 * written before it took the node are all run, each with its parameter. Earlier writers put the time alone, and
 * ElasticJob's tools nothing (then the node's creation time stands in, with the configured parameter).
 */
export function parseTriggerRequests(data: string | null | undefined, createdAt: number): TriggerRequest[] {
  const text = (data ?? '').trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) {
        const requests = parsed.filter(isTriggerRequest);
        if (requests.length > 0) {
          return requests.map(({ fireTime, jobParameter }) =>
            jobParameter === undefined ? { fireTime } : { fireTime, jobParameter },
          );
        }
      }
    } catch {
      // Not ours: one trigger, as below.
    }
  }
  const written = Number(text);
  return [{ fireTime: text !== '' && Number.isFinite(written) && written > 0 ? written : createdAt }];
}

export const formatTriggerRequests = (requests: readonly TriggerRequest[]): string => JSON.stringify(requests);

function isTriggerRequest(value: unknown): value is TriggerRequest {
  const request = value as TriggerRequest | null;
  return (
    typeof request === 'object' &&
    request !== null &&
    typeof request.fireTime === 'number' &&
    (request.jobParameter === undefined || typeof request.jobParameter === 'string')
  );
}
