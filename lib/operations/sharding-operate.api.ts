import { Injectable } from '@nestjs/common';
import { RegistryCenter } from '../registry-center';
import { NamespaceReader } from './namespace.reader';

/** Switches single sharding items of a job (ElasticJob's `ShardingOperateAPI`). */
@Injectable()
export class ShardingOperateApi {
  private readonly reader: NamespaceReader;

  constructor(registry: RegistryCenter) {
    this.reader = new NamespaceReader(registry);
  }

  /** Disables one item: it runs on no instance from the next fire on (a run in progress ends normally). */
  async disable(jobName: string, item: number): Promise<void> {
    const target = await this.reader.requireItem(jobName, item);
    await this.reader.registry.persist(target.paths.disabledItem(target.item), '');
  }

  /** Enables a disabled item again. */
  async enable(jobName: string, item: number): Promise<void> {
    const target = await this.reader.requireItem(jobName, item);
    await this.reader.registry.remove(target.paths.disabledItem(target.item));
  }
}
