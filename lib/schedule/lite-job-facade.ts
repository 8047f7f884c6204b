import { ClockGuard } from '../clock';
import { parseShardingItemParameters } from '../config';
import { ExecutionService, RunClaim } from '../execution';
import type { JobFacade } from '../executor';
import { FailoverService } from '../failover';
import { JobErrorHandler, ResolvedJobConfiguration } from '../interfaces';
import { RegistryCenter, TreeCache } from '../registry-center';
import { ServerService } from '../server';
import { JobShardingStrategy, ReshardService, ShardingService } from '../sharding';
import { JobNodePath, waitForCache } from '../storage';

/**
 * A server switched off this recently still runs its items under the assignment in force for fires that do not
 * reshard (the switch came within the reshard margin of the fire): the others run only theirs at such a fire, so the
 * switched-off server's items would run nowhere. Longer than the margin plus the time the leader takes to ask for a
 * reshard; after that the fire reshards without it.
 */
const SWITCH_OFF_GRACE_MS = 5_000;

/** The services of one job on this instance that its facade speaks for. */
export interface JobServices {
  readonly registry: RegistryCenter;
  readonly cache: TreeCache;
  readonly paths: JobNodePath;
  readonly instanceId: string;
  readonly server: ServerService;
  readonly sharding: ShardingService;
  readonly reshard: ReshardService;
  readonly execution: ExecutionService;
  readonly failover: FailoverService;
  readonly errorHandlers: ReadonlyMap<string, JobErrorHandler>;
}

/** The guards and strategies of the application the facade applies. */
export interface JobPolicies {
  readonly clock: ClockGuard;
  readonly shardingStrategies: ReadonlyMap<string, JobShardingStrategy>;
}

/**
 * The executor's `JobFacade` over the registry's services of one job, and the one owner of its live configuration
 * (`update`, from the configuration listener).
 */
export class LiteJobFacade implements JobFacade {
  private current: ResolvedJobConfiguration;
  private parameters: Map<number, string>;

  constructor(
    private readonly services: JobServices,
    private readonly policies: JobPolicies,
    config: ResolvedJobConfiguration,
  ) {
    this.current = config;
    this.parameters = parametersOf(config);
  }

  get config(): ResolvedJobConfiguration {
    return this.current;
  }

  get instanceId(): string {
    return this.services.instanceId;
  }

  /** Replaces the configuration (and the item parameters); throws, keeping both, if the parameters do not parse. */
  update(config: ResolvedJobConfiguration): void {
    const parameters = parametersOf(config);
    this.current = config;
    this.parameters = parameters;
  }

  shardingParameter(item: number): string {
    return this.parameters.get(item) ?? '';
  }

  errorHandler(): JobErrorHandler {
    return this.services.errorHandlers.get(this.current.jobErrorHandlerType)!;
  }

  hasLease(): boolean {
    return this.services.registry.hasLease();
  }

  sessionId(): string {
    return this.services.registry.getSessionId();
  }

  isClockOk(): boolean {
    return this.policies.clock.isOk(this.current);
  }

  isServerEnabled(): boolean {
    return this.services.server.isEnabled();
  }

  mayRunFire(fireTime: number): boolean {
    const { server, sharding } = this.services;
    return (
      server.isEnabled() ||
      (server.disabledSince(fireTime - SWITCH_OFF_GRACE_MS) && !sharding.isShardingNecessary(fireTime))
    );
  }

  isShardingNecessary(fireTime: number): boolean {
    return this.services.sharding.isShardingNecessary(fireTime);
  }

  isAssignmentStale(): boolean {
    return this.services.sharding.isStale();
  }

  prepareFire(fireTime: number): Promise<void> {
    return this.services.reshard.prepare(this.current, this.strategy(), fireTime);
  }

  reshardBetweenFires(nextFire: number | undefined): Promise<boolean> {
    return this.services.reshard.reshardBetweenFires(this.current, this.strategy(), nextFire);
  }

  refreshAssignment(): Promise<void> {
    return this.services.sharding.refresh(this.current.shardingTotalCount);
  }

  get assignmentFireTime(): number {
    return this.services.sharding.assignmentFireTime;
  }

  async registryAssignmentStamp(): Promise<number> {
    const { registry, paths } = this.services;
    return Number(await registry.get(paths.sharding)) || 0;
  }

  localItems(): readonly number[] {
    return this.services.sharding.getLocalShardingItems(this.current.shardingTotalCount);
  }

  assignmentToken(item: number): number {
    return this.services.sharding.assignmentToken(item);
  }

  takeRecordedFires(): ReadonlyMap<number, number> | undefined {
    return this.services.sharding.takeRecordedFires();
  }

  isRunningElsewhere(item: number): boolean {
    return this.services.execution.isRunningElsewhere(item);
  }

  fireRunningElsewhere(item: number): number | undefined {
    return this.services.execution.fireRunningElsewhere(item);
  }

  registerStart(items: readonly number[], fireTime: number): Promise<RunClaim[]> {
    return this.services.execution.registerStart(items, fireTime, this.config.failover);
  }

  claimRun(item: number, fireTime: number): Promise<RunClaim | undefined> {
    return this.services.execution.claim(item, fireTime, this.config.failover);
  }

  registerComplete(claims: readonly RunClaim[]): Promise<void> {
    return this.services.execution.registerComplete(claims);
  }

  releaseForeign(claim: RunClaim, handOver: boolean): Promise<void> {
    const { execution, failover } = this.services;
    return execution.releaseForeign(claim, handOver ? () => failover.enqueue(claim.item, claim.marker) : undefined);
  }

  markLeaving(claims: readonly RunClaim[]): Promise<void> {
    return this.services.execution.markLeaving(claims);
  }

  async waitForRunEnd(item: number, stopped: () => boolean, timeoutMs: number): Promise<void> {
    const { cache, paths } = this.services;
    const marker = paths.running(item);
    await waitForCache(cache, () => stopped() || !cache.has(marker), timeoutMs);
  }

  markMisfire(item: number): Promise<void> {
    return this.services.execution.setMisfire(item);
  }

  clearMisfire(item: number): Promise<void> {
    return this.services.execution.clearMisfire(item);
  }

  queuedFailoverItems(): number[] {
    return this.services.failover.queuedItems();
  }

  failoverOrigin(item: number): string | undefined {
    return this.services.failover.origin(item);
  }

  claimFailover(item: number): Promise<boolean> {
    return this.services.failover.claim(item);
  }

  isFailoverQueued(item: number, origin: string): Promise<boolean> {
    return this.services.failover.isQueued(item, origin);
  }

  beginFailover(item: number): Promise<void> {
    return this.services.failover.begin(item);
  }

  releaseFailover(item: number): Promise<void> {
    return this.services.failover.release(item);
  }

  enqueueFailover(item: number, origin: string): Promise<void> {
    return this.services.failover.enqueue(item, origin);
  }

  cancelFailover(item: number, origin: string): Promise<void> {
    return this.services.failover.cancel(item, origin);
  }

  /** The job's sharding strategy, by its live `jobShardingStrategyType`. */
  strategy(): JobShardingStrategy {
    return this.policies.shardingStrategies.get(this.current.jobShardingStrategyType)!;
  }
}

const parametersOf = (config: ResolvedJobConfiguration) =>
  parseShardingItemParameters(config.name, config.shardingItemParameters, config.shardingTotalCount);
