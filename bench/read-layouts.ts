/**
 * What reading an entity's plain values costs Redis in the online store's layout beside candidate
 * layouts (issue 21: a batch of 100 products × 4 features spends more CPU in Redis than in the
 * feature server). Measures instead of guessing before a format change:
 *
 *   npm run bench:read-layouts [-- --port 16500 --products 2000 --seconds 1.5 --rounds 5]
 *
 * One private Redis master owning every slot (127.0.0.1:port, a temp dir, removed afterwards,
 * nothing of the stack touched), seeded with bench:serving's products in each layout:
 *  - today (docs/online-store-format.md): a key per feature and entity and one for its event time;
 *    read by the store itself (`RedisClusterOnlineStore.read`: one READ_ENTITIES script, an MGET of
 *    8 keys per entity);
 *  - a hash per entity, a field per feature and one per event time (HMGET of 8 fields);
 *  - a hash per entity, a field per feature holding "event time,value" (HMGET of 4 fields);
 *  - one string per entity holding every feature's "event time,value" (GET).
 * The candidates are read by a script of the same shape as READ_ENTITIES (one call per batch, one
 * command per entity, the values joined into one reply). Each layout's reply is checked once
 * against the seeded values. Then rounds of batches of 100 products (4 in flight) per layout, in
 * turn; it prints the median over the rounds of Redis CPU µs per entity and its ratio to today's,
 * and this process's CPU per entity for today's (the reader's part, which a layout changes less).
 */
import { entityKeyPart } from '@fstore/contracts';
import { featureByName } from '@fstore/contracts';
import { RedisClusterOnlineStore, type FeatureWrite } from '@fstore/online-store';
import Redis from 'ioredis';
import { arg } from './args';
import { PrivateRedisCluster } from './private-redis-cluster';
import { PRODUCT_FEATURES, productRows, sameNumber, type ProductRow } from './serving/data';

const PORT = Number(arg('port', '16500'));
const PRODUCTS = Number(arg('products', '2000'));
const SECONDS = Number(arg('seconds', '1.5'));
const ROUNDS = Number(arg('rounds', '5'));
const BATCH_SIZE = 100;
const IN_FLIGHT = 4;
const EVENT_TIME = 1764547200000;

const t0 = Date.now();
const log = (m: string) =>
  console.error(`[read-layouts ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${m}`);

/** A candidate: how it is seeded, read (one call per batch of entity parts) and parsed back. */
interface Candidate {
  name: string;
  seed(redis: Redis, part: string, row: ProductRow): Promise<unknown>;
  script: string;
  /** The script's ARGV before the entities' parts. */
  args: string[];
  /** Per entity, per feature, the value read. */
  parse(reply: string, entities: number): string[][];
}

const FIELD_SEP = ';';
const pair = (row: ProductRow, f: (typeof PRODUCT_FEATURES)[number]) =>
  `${EVENT_TIME},${row.values[f]}`;
const valueOfPair = (p: string) => p.slice(p.indexOf(',') + 1);
const groups = <T>(xs: T[], n: number) =>
  Array.from({ length: xs.length / n }, (_, i) => xs.slice(i * n, (i + 1) * n));

const CANDIDATES: Candidate[] = [
  {
    name: 'hash per entity, 8 fields (value, event time)',
    seed: (redis, part, row) =>
      redis.hset(
        `bl:h8:${part}`,
        ...PRODUCT_FEATURES.flatMap((f) => [
          f,
          String(row.values[f]),
          `${f}:ts`,
          String(EVENT_TIME),
        ]),
      ),
    script: `#!lua flags=no-writes,allow-cross-slot-keys
local n = tonumber(ARGV[1])
local fields, joined, at = {}, {}, 0
for j = 1, n do fields[j] = ARGV[j + 1]; fields[n + j] = ARGV[j + 1] .. ':ts' end
for i = n + 2, #ARGV do
  local values = redis.call('HMGET', 'bl:h8:' .. ARGV[i], unpack(fields, 1, 2 * n))
  for j = 1, 2 * n do joined[at + j] = values[j] or '' end
  at = at + 2 * n
end
return table.concat(joined, ',')`,
    args: [String(PRODUCT_FEATURES.length), ...PRODUCT_FEATURES],
    parse: (reply) =>
      groups(reply.split(','), 2 * PRODUCT_FEATURES.length).map((g) =>
        g.slice(0, PRODUCT_FEATURES.length),
      ),
  },
  {
    name: 'hash per entity, 4 fields "event time,value"',
    seed: (redis, part, row) =>
      redis.hset(`bl:h4:${part}`, ...PRODUCT_FEATURES.flatMap((f) => [f, pair(row, f)])),
    script: `#!lua flags=no-writes,allow-cross-slot-keys
local n = tonumber(ARGV[1])
local fields, joined, at = {}, {}, 0
for j = 1, n do fields[j] = ARGV[j + 1] end
for i = n + 2, #ARGV do
  local values = redis.call('HMGET', 'bl:h4:' .. ARGV[i], unpack(fields, 1, n))
  for j = 1, n do joined[at + j] = values[j] or '' end
  at = at + n
end
return table.concat(joined, '${FIELD_SEP}')`,
    args: [String(PRODUCT_FEATURES.length), ...PRODUCT_FEATURES],
    parse: (reply) => groups(reply.split(FIELD_SEP).map(valueOfPair), PRODUCT_FEATURES.length),
  },
  {
    name: 'one string per entity, 4 "event time,value"',
    seed: (redis, part, row) =>
      redis.set(`bl:s:${part}`, PRODUCT_FEATURES.map((f) => pair(row, f)).join(FIELD_SEP)),
    script: `#!lua flags=no-writes,allow-cross-slot-keys
local joined = {}
for i = 1, #ARGV do joined[i] = redis.call('GET', 'bl:s:' .. ARGV[i]) or '' end
return table.concat(joined, '${FIELD_SEP}')`,
    args: [],
    parse: (reply) => groups(reply.split(FIELD_SEP).map(valueOfPair), PRODUCT_FEATURES.length),
  },
];

interface Round {
  redisUs: number;
  readerUs: number;
  entities: number;
}

/** Batches of BATCH_SIZE entities, IN_FLIGHT at once, for SECONDS; the CPU that took. */
async function round(
  cluster: PrivateRedisCluster,
  batches: number,
  read: (batch: number) => Promise<unknown>,
): Promise<Round> {
  let next = 0;
  let entities = 0;
  const cpu0 = process.cpuUsage();
  const redis0 = cluster.cpuNs();
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < until) {
        await read(next++ % batches);
        entities += BATCH_SIZE;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { redisUs: (cluster.cpuNs() - redis0) / 1000, readerUs: cpu.user + cpu.system, entities };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function checkValues(name: string, rows: readonly ProductRow[], read: string[][]): void {
  rows.forEach((row, i) =>
    PRODUCT_FEATURES.forEach((f, j) => {
      const got = read[i]?.[j];
      if (got === undefined || !sameNumber(Number(got), Number(row.values[f]))) {
        throw new Error(`${name}: ${row.productId} ${f} read ${got}, seeded ${row.values[f]}`);
      }
    }),
  );
}

async function main(): Promise<void> {
  if (!(PRODUCTS >= BATCH_SIZE && ROUNDS >= 1 && SECONDS > 0)) {
    throw new Error(`--products at least ${BATCH_SIZE}, --rounds at least 1, --seconds above 0`);
  }
  const cluster = new PrivateRedisCluster([PORT], log);
  const stop = () => cluster.stop();
  process.once('SIGINT', () => (stop(), process.exit(130)));
  process.once('SIGTERM', () => (stop(), process.exit(143)));
  let store: RedisClusterOnlineStore | undefined;
  let redis: Redis | undefined;
  try {
    await cluster.start();
    log(`private Redis master on 127.0.0.1:${PORT}, every slot`);
    store = new RedisClusterOnlineStore({
      host: '127.0.0.1',
      ports: [PORT],
      commandTimeoutMs: 30000,
    });
    redis = new Redis(PORT, '127.0.0.1');
    const rows = productRows(PRODUCTS);
    const parts = rows.map((r) => entityKeyPart([r.productId]));
    const ids = rows.map((r) => [r.productId]);
    const features = PRODUCT_FEATURES.map((f) => featureByName(f)!);
    for (let i = 0; i < rows.length; i += 500) {
      const writes: FeatureWrite[] = rows.slice(i, i + 500).flatMap((r) =>
        PRODUCT_FEATURES.map((f) => ({
          feature: f,
          keyParts: [r.productId],
          value: r.values[f],
          eventTime: EVENT_TIME,
        })),
      );
      await store.write(writes);
    }
    for (const c of CANDIDATES) await Promise.all(rows.map((r, i) => c.seed(redis!, parts[i], r)));

    const batches = Math.floor(PRODUCTS / BATCH_SIZE);
    const batchOf = <T>(xs: T[], b: number) => xs.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE);
    const readers: { name: string; read: (b: number) => Promise<unknown> }[] = [
      {
        name: 'today: a key per value and per event time',
        read: (b) => store!.read('product', batchOf(ids, b), features),
      },
      ...CANDIDATES.map((c) => ({
        name: c.name,
        read: (b: number) => redis!.eval(c.script, 0, ...c.args, ...batchOf(parts, b)),
      })),
    ];
    // Every layout answers the seeded values (the first batch), before any is timed.
    const today = await store.read('product', batchOf(ids, 0), features);
    checkValues(
      readers[0].name,
      batchOf(rows, 0),
      today.map((vs) => vs.map((v) => String(v?.value))),
    );
    for (const c of CANDIDATES) {
      const reply = (await redis.eval(c.script, 0, ...c.args, ...batchOf(parts, 0))) as string;
      checkValues(c.name, batchOf(rows, 0), c.parse(reply, BATCH_SIZE));
    }
    log(
      `seeded and checked ${PRODUCTS} products × ${PRODUCT_FEATURES.length} features in each layout`,
    );

    for (const r of readers) await round(cluster, batches, r.read); // warm-up: JIT, script cache
    const rounds = readers.map(() => [] as Round[]);
    for (let k = 0; k < ROUNDS; k++) {
      for (const [i, r] of readers.entries()) rounds[i].push(await round(cluster, batches, r.read));
    }
    const redisPerEntity = rounds.map((rs) => median(rs.map((x) => x.redisUs / x.entities)));
    const readerPerEntity = median(rounds[0].map((x) => x.readerUs / x.entities));
    console.log(
      `\nRedis CPU µs per entity read (${PRODUCT_FEATURES.length} plain features), median of ` +
        `${ROUNDS} rounds of ${SECONDS} s, batches of ${BATCH_SIZE}, ${IN_FLIGHT} in flight\n`,
    );
    console.log('| layout | Redis µs / entity | ÷ today |');
    console.log('|---|---:|---:|');
    readers.forEach((r, i) =>
      console.log(
        `| ${r.name} | ${redisPerEntity[i].toFixed(2)} | ${(redisPerEntity[i] / redisPerEntity[0]).toFixed(2)} |`,
      ),
    );
    console.log(
      `\ntoday's reader (this process, the store's read): ${readerPerEntity.toFixed(2)} µs per entity`,
    );
  } finally {
    redis?.disconnect();
    await store?.close();
    stop();
  }
}

main().catch((e: Error) => {
  console.error(`read-layouts: ${e.message}`);
  process.exitCode = 1;
});
