import { ClockGuard, ClockService } from '../clock';
import { KnownTypes, ConfigService, ConfigListener } from '../config';
import { CronTimer } from '../cron';
import { ElectionListener, LeaderService, ElectionActions } from '../election';
import { ExecutionService, ExecutionListener } from '../execution';
import { JobEventBus, JobExecutor, JobItemExecutor } from '../executor';
import { FailoverService, FailoverListener } from '../failover';
import { DepartureService, InstanceIdentity, InstanceService, ShutdownActions, ShutdownListener } from '../instance';
import { ElasticJobListener, JobErrorHandler, ResolvedJobConfiguration } from '../interfaces';
import { ReconcileService, ReconcileContext, ReconcileListener } from '../reconcile';
import { RegistryCenter, TreeCache } from '../registry-center';
import { ServerListener, ServerRetention, ServerService, StaleServerService } from '../server';
import { JobShardingStrategy, ReshardService, ShardingService, ShardingListener, ShardingActions } from '../sharding';
import { JobNodePath, RegistryEventListener } from '../storage';
import { TriggerActions, TriggerListener } from '../trigger';
import { LeavingJob } from './job-hand-over';
import { jobHooks } from './job-hooks';
import { LiteJobFacade } from './lite-job-facade';

/** What every job of an application shares. */
export interface JobSchedulerContext {
  readonly registry: RegistryCenter;
  readonly timer: CronTimer;
  readonly identity: InstanceIdentity;
  readonly errorHandlers: ReadonlyMap<string, JobErrorHandler>;
  /** The application's listeners (`@JobListener`), by type. */
  readonly listeners: ReadonlyMap<string, ElasticJobListener>;
  readonly shardingStrategies: ReadonlyMap<string, JobShardingStrategy>;
  readonly knownTypes: KnownTypes;
  readonly clock: ClockService;
  /** How long the leader keeps the server nodes of servers without instances (see `StaleServerService`). */
  readonly serverRetention: ServerRetention;
  /** Where the fire pipeline reports what it runs. */
  readonly events: JobEventBus;
  /** Ends the job on this instance (its instance node was removed by an operator: `JobOperateApi.shutdown`). */
  readonly shutDown: (jobName: string) => void;
}

/** A started job's parts on this instance. */
export interface StartedJob extends LeavingJob {
  readonly reshard: ReshardService;
  readonly election: ElectionListener;
  readonly reconcile: ReconcileService;
  readonly servers: ServerListener;
  readonly shardingListener: ShardingListener;
  /** Every room's listener of the job's cache, in the order their reactions to one event run. */
  readonly listeners: readonly RegistryEventListener[];
}

/** What the rooms' listeners ask of the job's scheduler. */
export interface JobActions
  extends TriggerActions, ShutdownActions, ElectionActions, ShardingActions, ReconcileContext {
  /** The configuration changed in the registry and was applied (`ConfigListener`). */
  onConfigChange(config: ResolvedJobConfiguration, previous: ResolvedJobConfiguration): void;
}

/** What a job is assembled from once its nodes are written and its cache is loaded. */
export interface JobParts {
  readonly context: JobSchedulerContext;
  readonly paths: JobNodePath;
  readonly cache: TreeCache;
  readonly config: ResolvedJobConfiguration;
  readonly local: ResolvedJobConfiguration;
  readonly configService: ConfigService;
  readonly instance: InstanceService;
  readonly itemExecutor: JobItemExecutor;
  readonly clockGuard: ClockGuard;
  readonly triggers: TriggerListener;
  readonly actions: JobActions;
}

/** Builds a started job's services over its cache, its facade, its executor and its rooms' listeners. */
export function assembleJob(part: JobParts): StartedJob {
  const { context, paths, cache, config, instance, actions } = part;
  const { registry, identity } = context;
  const { instanceId } = identity;
  const leader = new LeaderService(registry, cache, paths, identity);
  const execution = new ExecutionService(registry, cache, paths, instanceId);
  const departures = new DepartureService(registry, cache, paths, execution, instanceId);
  const sharding = new ShardingService(registry, cache, paths, identity, execution, departures);
  const { errorHandlers, shardingStrategies, events } = context;
  const reshard = new ReshardService(registry, cache, paths, identity, leader, sharding, departures, events);
  const failover = new FailoverService(registry, cache, paths, instanceId);
  const staleServers = new StaleServerService(registry, cache, paths, context.serverRetention);
  const server = new ServerService(cache, paths, identity);
  const facade = new LiteJobFacade(
    { registry, cache, paths, instanceId, server, sharding, reshard, execution, failover, errorHandlers },
    { clock: part.clockGuard, shardingStrategies },
    config,
  );
  const { hooks, guarantee } = jobHooks(context.listeners, { registry, cache, paths, instanceId, facade });
  const executor = new JobExecutor(facade, { itemExecutor: part.itemExecutor, hooks, events });
  const reconcile = new ReconcileService(registry, cache, paths, leader, sharding, failover, staleServers, actions);
  const own = paths.instance(instanceId);
  const election = new ElectionListener(leader, paths, own, actions);
  const retention = context.serverRetention;
  const servers = new ServerListener(registry, paths, identity, leader, staleServers, retention, actions);
  const shardingListener = new ShardingListener(leader, sharding, paths, own, actions);
  // The services' own state first: the rooms' reactions read it.
  const listeners = [
    departures,
    sharding,
    server,
    new ConfigListener(part.configService, paths, part.local, facade, actions),
    part.triggers,
    new ShutdownListener(registry, paths, instanceId, actions),
    election,
    shardingListener,
    new ReconcileListener(reconcile, paths, own),
    servers,
    new ExecutionListener(paths, executor),
    new FailoverListener(paths, executor),
    ...(guarantee ? [guarantee] : []),
  ];
  return {
    registry,
    paths,
    instanceId,
    cache,
    facade,
    executor,
    instance,
    leader,
    sharding,
    departures,
    reshard,
    election,
    reconcile,
    servers,
    shardingListener,
    listeners,
  };
}
