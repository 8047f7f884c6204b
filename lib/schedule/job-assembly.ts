import { ClockGuard, ClockService } from '../clock';
import { KnownTypes } from '../config';
import { CronTimer } from '../cron';
import { ElectionListener, LeaderService } from '../election';
import { ExecutionService } from '../execution';
import { JobEventBus, JobExecutor, JobItemExecutor } from '../executor';
import { FailoverService } from '../failover';
import { DepartureService, InstanceIdentity, InstanceService } from '../instance';
import { JobErrorHandler, ResolvedJobConfiguration } from '../interfaces';
import { ReconcileService } from '../reconcile';
import { RegistryCenter, TreeCache } from '../registry-center';
import { ServerListener, ServerRetention, ServerService, StaleServerService } from '../server';
import { JobShardingStrategy, ReshardService, ShardingService } from '../sharding';
import { JobNodePath } from '../storage';
import { TriggerService } from '../trigger';
import { LeavingJob } from './job-hand-over';
import { LiteJobFacade } from './lite-job-facade';

/** What every job of an application shares. */
export interface JobSchedulerContext {
  readonly registry: RegistryCenter;
  readonly timer: CronTimer;
  readonly identity: InstanceIdentity;
  readonly errorHandlers: ReadonlyMap<string, JobErrorHandler>;
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
  readonly unsubscribe: Array<() => void>;
}

/** What a job is assembled from once its nodes are written and its cache is loaded. */
export interface JobParts {
  readonly context: JobSchedulerContext;
  readonly paths: JobNodePath;
  readonly cache: TreeCache;
  readonly config: ResolvedJobConfiguration;
  readonly instance: InstanceService;
  readonly itemExecutor: JobItemExecutor;
  readonly clockGuard: ClockGuard;
  readonly isStopping: () => boolean;
}

/** Builds a started job's services over its cache, its facade and its executor. */
export function assembleJob(part: JobParts): StartedJob {
  const { context, paths, cache, config, instance, isStopping } = part;
  const { registry, identity } = context;
  const { instanceId } = identity;
  const leader = new LeaderService(registry, cache, paths, identity);
  const execution = new ExecutionService(registry, cache, paths, instanceId);
  const timeout = () => registry.sessionTimeout;
  const departures = new DepartureService(registry, cache, paths, execution, instanceId, timeout);
  const sharding = new ShardingService(registry, cache, paths, identity, execution, departures);
  const reshard = new ReshardService(registry, cache, paths, identity, leader, sharding, departures);
  const failover = new FailoverService(registry, cache, paths, instanceId);
  const staleServers = new StaleServerService(registry, cache, paths, context.serverRetention);
  const server = new ServerService(cache, paths, identity);
  const { errorHandlers, shardingStrategies, events } = context;
  const facade = new LiteJobFacade(
    { registry, cache, paths, instanceId, server, sharding, reshard, execution, failover, errorHandlers },
    { clock: part.clockGuard, shardingStrategies },
    config,
  );
  const executor = new JobExecutor(facade, { itemExecutor: part.itemExecutor, hooks: [], events });
  const reconcile = new ReconcileService(
    cache,
    paths,
    leader,
    sharding,
    failover,
    new TriggerService(registry, paths),
    staleServers,
    {
      config: () => facade.config,
      isStopping,
    },
  );
  const election = new ElectionListener(leader, paths, paths.instance(instanceId), {
    isServerEnabled: () => server.isEnabled(),
    isStopping,
    elected: async () => {
      await sharding.setReshardingFlag();
      reconcile.sweep(true);
    },
  });
  const servers = new ServerListener(
    registry,
    paths,
    identity,
    leader,
    staleServers,
    context.serverRetention,
    isStopping,
  );
  return {
    ...{ registry, paths, instanceId, cache, facade, executor, instance, leader, sharding, departures, reshard },
    ...{ election, reconcile, servers, unsubscribe: [] },
  };
}
