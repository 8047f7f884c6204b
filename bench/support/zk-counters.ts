import { fourLetterWord, ZookeeperTestServer } from '../../test/support/zookeeper-server';

/** ZooKeeper's own request counters (`mntr`): reads and writes it has processed, and every packet received. */
export interface ZkCounters {
  reads: number;
  writes: number;
  packets: number;
  /** Committed transactions (the zxid's counter). */
  zxid: number;
}

export async function zkCounters(zk: ZookeeperTestServer): Promise<ZkCounters> {
  const mntr = await fourLetterWord(zk.port, 'mntr');
  const value = (key: string) => Number(new RegExp(`^zk_${key}\\s+(\\d+)`, 'm').exec(mntr)?.[1] ?? NaN);
  return {
    reads: value('cnt_readlatency'),
    writes: value('cnt_updatelatency'),
    packets: value('packets_received'),
    zxid: await zk.zxid(),
  };
}

export const countersSince = (before: ZkCounters, after: ZkCounters): ZkCounters => ({
  reads: after.reads - before.reads,
  writes: after.writes - before.writes,
  packets: after.packets - before.packets,
  zxid: after.zxid - before.zxid,
});
