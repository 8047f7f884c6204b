import { ipOf, parseRunningMarker } from '../storage';
import { Inject, Injectable } from '@nestjs/common';
import { ShardingInfo, ShardingStatus } from '../interfaces';
import { RegistryCenter } from '../registry-center';
import { stripUndefined } from '../utils';
import { NamespaceReader } from './namespace.reader';

/** The sharding items of a job (ElasticJob's `ShardingStatisticsAPI`). */
@Injectable()
export class ShardingStatisticsApi {
  private readonly reader: NamespaceReader;

  constructor(@Inject(NamespaceReader) reader: NamespaceReader | RegistryCenter) {
    this.reader = NamespaceReader.of(reader);
  }

  /**
   * Every item of the job (0 to `shardingTotalCount` - 1): its owner, its status (`DISABLED`, `RUNNING`,
   * `SHARDING_FLAG` when its owner is gone or it has none yet, `PENDING`) and whether it is being failed over.
   */
  async getShardingInfo(jobName: string): Promise<ShardingInfo[]> {
    const { paths, config } = await this.reader.requireConfiguration(jobName);
    const { registry } = this.reader;
    const total = Number(config.shardingTotalCount) || 0;
    const live = new Set(await this.reader.instances(paths));
    const queued = new Set((await registry.getChildren(paths.leaderFailoverItems)).map(Number));
    return Promise.all(
      Array.from({ length: total }, async (_, item): Promise<ShardingInfo> => {
        const [owner, disabled, running, taker] = await Promise.all([
          registry.get(paths.shardingInstance(item)),
          registry.exists(paths.disabledItem(item)),
          registry.get(paths.running(item)),
          registry.get(paths.failover(item)),
        ]);
        const status: ShardingStatus = disabled
          ? 'DISABLED'
          : running !== null
            ? 'RUNNING'
            : !owner || !live.has(owner)
              ? 'SHARDING_FLAG'
              : 'PENDING';
        return stripUndefined({
          item,
          instanceId: owner || undefined,
          serverIp: owner ? ipOf(owner) : undefined,
          status,
          runningInstanceId: parseRunningMarker(running)?.instanceId,
          failover: taker !== null || queued.has(item),
          failoverInstanceId: taker || undefined,
        }) as ShardingInfo;
      }),
    );
  }
}
