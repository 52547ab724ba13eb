import type { Redis } from 'ioredis';
import { RedisClusterOnlineStore } from '@fstore/online-store';

/** Deletes every key under entity ids starting with `prefix` (`*{<prefix>*`) from every master. */
export async function deleteEntityKeys(
  store: RedisClusterOnlineStore,
  prefix: string,
): Promise<number> {
  let deleted = 0;
  for (const node of store.client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `*{${prefix}*`, 'COUNT', 1000);
      for (const k of keys) deleted += await node.del(k);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}

/** `perNode` of every master of the cluster, summed. */
async function sumOverMasters(
  store: RedisClusterOnlineStore,
  perNode: (node: Redis) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (const node of store.client.nodes('master')) total += await perNode(node);
  return total;
}

/** Redis `used_memory` (INFO memory) summed over the cluster's masters, in bytes. */
export const usedMemory = (store: RedisClusterOnlineStore): Promise<number> =>
  sumOverMasters(store, async (node) =>
    Number(/used_memory:(\d+)/.exec(await node.info('memory'))?.[1] ?? NaN),
  );

/** Keys on the cluster's masters (DBSIZE summed). */
export const keyCount = (store: RedisClusterOnlineStore): Promise<number> =>
  sumOverMasters(store, (node) => node.dbsize());
