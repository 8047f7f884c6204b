import { Injectable, Logger } from '@nestjs/common';
import { ElasticJob, ShardingContext } from '../lib';

/** The demo job: settles the orders of one city per sharding item, every 5 seconds. */
@Injectable()
export class SettlementJobs {
  private readonly logger = new Logger('SettlementJobs');

  @ElasticJob({
    name: 'settle-orders',
    cron: '0/5 * * * * ?',
    shardingTotalCount: 3,
    shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
    description: 'Settle the orders of every city',
  })
  async settle(context: ShardingContext): Promise<void> {
    this.logger.log(
      `instance ${process.pid} settles item ${context.shardingItem} (${context.shardingParameter}) of ${context.jobName}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
