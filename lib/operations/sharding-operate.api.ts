import { Inject, Injectable } from '@nestjs/common';
import { RegistryCenter } from '../registry-center';
import { NamespaceReader } from './namespace.reader';

/** Switches single sharding items of a job (ElasticJob's `ShardingOperateAPI`). */
@Injectable()
export class ShardingOperateApi {
  private readonly reader: NamespaceReader;

  constructor(@Inject(NamespaceReader) reader: NamespaceReader | RegistryCenter) {
    this.reader = NamespaceReader.of(reader);
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
