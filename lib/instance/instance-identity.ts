import { networkInterfaces } from 'node:os';
import { instanceIdOf, ipOf } from '../storage';

/** Who this process is in the cluster: ElasticJob's `{ip}@-@{pid}`. */
export interface InstanceIdentity {
  readonly ip: string;
  readonly pid: number;
  readonly instanceId: string;
}

const taken = new Set<string>();

/**
 * Resolves this instance's identity. A second application in the same process and namespace (tests, workers)
 * gets a suffix so that the two never share an ephemeral node.
 */
export function resolveInstanceIdentity(namespace: string, override?: string): InstanceIdentity {
  const ip = override ? ipOf(override) : localIp();
  const base = override ?? instanceIdOf(ip, process.pid);
  let instanceId = base;
  for (let n = 2; taken.has(`${namespace}|${instanceId}`); n++) {
    instanceId = `${base}-${n}`;
  }
  taken.add(`${namespace}|${instanceId}`);
  return { ip, pid: process.pid, instanceId };
}

/** Frees an identity when its application closes. */
export function releaseInstanceIdentity(namespace: string, identity: InstanceIdentity): void {
  taken.delete(`${namespace}|${identity.instanceId}`);
}

function localIp(): string {
  const candidates = Object.entries(networkInterfaces())
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([, addresses]) => addresses ?? [])
    .filter((address) => address.family === 'IPv4' && !address.internal);
  return candidates[0]?.address ?? '127.0.0.1';
}
