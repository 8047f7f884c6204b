/**
 * Every ZooKeeper path of one job, relative to the namespace, in ElasticJob Lite 3.0.x's layout. Services build paths
 * only through this class.
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
    return `${this.shardingItem(item)}/running`;
  }
  misfire(item: number): string {
    return `${this.shardingItem(item)}/misfire`;
  }
  disabledItem(item: number): string {
    return `${this.shardingItem(item)}/disabled`;
  }
  failover(item: number): string {
    return `${this.shardingItem(item)}/failover`;
  }
  failovering(item: number): string {
    return `${this.shardingItem(item)}/failovering`;
  }
  get leaderElectionInstance(): string {
    return `${this.root}/leader/election/instance`;
  }
  get leaderElectionLatch(): string {
    return `${this.root}/leader/election/latch`;
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
  leaderFailoverItem(item: number): string {
    return `${this.leaderFailoverItems}/${item}`;
  }
  get leaderFailoverLatch(): string {
    return `${this.root}/leader/failover/latch`;
  }
  get trigger(): string {
    return `${this.root}/trigger`;
  }
  triggerInstance(instanceId: string): string {
    return `${this.trigger}/${instanceId}`;
  }
  get guaranteeStarted(): string {
    return `${this.root}/guarantee/started`;
  }
  get guaranteeCompleted(): string {
    return `${this.root}/guarantee/completed`;
  }
}
