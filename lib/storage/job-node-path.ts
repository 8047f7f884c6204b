import type { TreeCacheEvent } from '../registry-center';

/**
 * ElasticJob's node for reading ZooKeeper's clock, under a job (`/{job}/systemTime/current`): its modification time is
 * the server's time of the write. (Under the namespace root, where this module kept it before, ElasticJob's tools
 * would count a job named `systemTime`.)
 */
export const systemTimePath = (jobName: string): string => `/${jobName}/systemTime/current`;
/** The namespace's root: its children are the jobs (and, from older versions of this module, `systemTime`). */
export const NAMESPACE_ROOT = '/';

/** Whether `path` is a direct child of `parent`. */
export const isChildOf = (path: string, parent: string): boolean =>
  path.startsWith(`${parent}/`) && path.indexOf('/', parent.length + 1) < 0;

const RUNNING = '/running';
const FAILOVER = '/failover';
const DISABLED = '/disabled';

/**
 * Every ZooKeeper path of one job, relative to the namespace, in ElasticJob Lite 3.0.x's layout, and the predicates
 * that tell which node a path of the job's cache is. Services build and recognise paths only through this class.
 */
export class JobNodePath {
  readonly root: string;

  constructor(readonly jobName: string) {
    this.root = `/${jobName}`;
  }

  get config(): string {
    return `${this.root}/config`;
  }
  get instances(): string {
    return `${this.root}/instances`;
  }
  instance(instanceId: string): string {
    return `${this.instances}/${instanceId}`;
  }
  /** Whether the path is an instance's node (`instances/{id}`) or a server's (`servers/{ip}`). */
  isInstanceNode(path: string): boolean {
    return isChildOf(path, this.instances);
  }
  /** The instance id of an instance's node, or of a leaving mark (`leader/sharding/leaving/{id}`); else `undefined`. */
  instanceIdOf(path: string): string | undefined {
    return this.isInstanceNode(path) ? path.slice(this.instances.length + 1) : undefined;
  }
  leavingIdOf(path: string): string | undefined {
    return isChildOf(path, this.leaderShardingLeaving) ? path.slice(this.leaderShardingLeaving.length + 1) : undefined;
  }
  isServerNode(path: string): boolean {
    return isChildOf(path, this.servers);
  }
  get servers(): string {
    return `${this.root}/servers`;
  }
  server(ip: string): string {
    return `${this.servers}/${ip}`;
  }
  get sharding(): string {
    return `${this.root}/sharding`;
  }
  shardingItem(item: number): string {
    return `${this.sharding}/${item}`;
  }
  shardingInstance(item: number): string {
    return `${this.shardingItem(item)}/instance`;
  }
  running(item: number): string {
    return `${this.shardingItem(item)}${RUNNING}`;
  }
  /** The item of a `sharding/{item}/running` path; `undefined` for any other path. */
  runningItemOf(path: string): number | undefined {
    return path.endsWith(RUNNING) && path.startsWith(`${this.sharding}/`)
      ? Number(path.slice(this.sharding.length + 1, -RUNNING.length))
      : undefined;
  }
  /** Whether the path is an item's `failover` node (`sharding/{item}/failover`). */
  isFailover(path: string): boolean {
    return path.endsWith(FAILOVER) && path.startsWith(`${this.sharding}/`);
  }
  /** Whether the path is an item's switch (`sharding/{item}/disabled`). */
  isItemSwitch(path: string): boolean {
    return path.endsWith(DISABLED) && path.startsWith(`${this.sharding}/`);
  }
  misfire(item: number): string {
    return `${this.shardingItem(item)}/misfire`;
  }
  disabledItem(item: number): string {
    return `${this.shardingItem(item)}${DISABLED}`;
  }
  failover(item: number): string {
    return `${this.shardingItem(item)}${FAILOVER}`;
  }
  failovering(item: number): string {
    return `${this.shardingItem(item)}/failovering`;
  }
  get leaderElectionInstance(): string {
    return `${this.root}/leader/election/instance`;
  }
  get leaderShardingNecessary(): string {
    return `${this.root}/leader/sharding/necessary`;
  }
  get leaderShardingProcessing(): string {
    return `${this.root}/leader/sharding/processing`;
  }
  /**
   * Not in ElasticJob's layout (its tools ignore it): `leader/sharding/leaving/{instanceId}` is the ephemeral mark of an
   * instance that has left the instance list but still fires its items until the others have resharded.
   */
  get leaderShardingLeaving(): string {
    return `${this.root}/leader/sharding/leaving`;
  }
  leaving(instanceId: string): string {
    return `${this.leaderShardingLeaving}/${instanceId}`;
  }
  get leaderFailoverItems(): string {
    return `${this.root}/leader/failover/items`;
  }
  /** Whether the path is an item's failover entry (`leader/failover/items/{item}`). */
  isFailoverEntry(path: string): boolean {
    return isChildOf(path, this.leaderFailoverItems);
  }
  leaderFailoverItem(item: number): string {
    return `${this.leaderFailoverItems}/${item}`;
  }
  get trigger(): string {
    return `${this.root}/trigger`;
  }
  /** `guarantee/started` and `guarantee/completed` (ElasticJob's): the items of a fire registered by distribute-once. */
  get guaranteeStarted(): string {
    return `${this.root}/guarantee/started`;
  }
  get guaranteeCompleted(): string {
    return `${this.root}/guarantee/completed`;
  }
  /** Whether the path is under `guarantee/`. */
  isGuaranteeNode(path: string): boolean {
    return path.startsWith(`${this.root}/guarantee/`);
  }
  triggerInstance(instanceId: string): string {
    return `${this.trigger}/${instanceId}`;
  }
}

/**
 * Whether the event changes who may run the job: an instance came or went (not this instance's own node, whose events
 * are the shutdown listener's), or a server node changed (its switch).
 */
export function isTopologyChange(event: TreeCacheEvent, paths: JobNodePath, ownInstancePath: string): boolean {
  if (event.path === ownInstancePath) {
    return false;
  }
  return paths.isServerNode(event.path) || (paths.isInstanceNode(event.path) && event.type !== 'NODE_UPDATED');
}
