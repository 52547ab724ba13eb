import { RedisClusterOnlineStore } from '@fstore/online-store';

/**
 * Every key of the online store whose entity id starts with `prefix` (`<feature>:{<prefix>…}`,
 * and their `:ts` keys), with its value: what one test run wrote, found by SCAN on each master.
 */
export async function keysOfRun(
  store: RedisClusterOnlineStore,
  prefix: string,
): Promise<Map<string, string>> {
  const keys: string[] = [];
  for (const node of store.client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `*{${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  const values = await Promise.all(keys.map((k) => store.client.get(k)));
  return new Map(keys.map((k, i) => [k, values[i]!]));
}
