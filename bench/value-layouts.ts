/**
 * What reading and writing an entity's plain values costs Redis in the online store's layout
 * beside candidate layouts (issue 21: a batch of 100 products × 4 features spends more CPU in
 * Redis than in the feature server). Measures instead of guessing before a format change:
 *
 *   npm run bench:value-layouts [-- --port 16500 --products 2000 --seconds 1.5 --rounds 5]
 *
 * One private Redis master owning every slot (127.0.0.1:port, a temp dir, removed afterwards,
 * nothing of the stack touched), holding bench:serving's products in each layout:
 *  - today (docs/online-store-format.md): a key per feature and entity and one for its event time;
 *    read and written by the store itself (`RedisClusterOnlineStore`: READ_ENTITIES, an MGET of
 *    8 keys per entity; WRITE_ON_NODE);
 *  - a hash per entity, a field per feature and one per event time (HMGET of 8 fields);
 *  - a hash per entity, a field per feature holding "event time,value" (HMGET of 4 fields);
 *  - one string per entity holding every feature's "event time,value" (GET).
 * The candidates are read by a script of READ_ENTITIES' shape (one call per batch, one command per
 * entity, the values joined into one reply) and written by one of WRITE_ON_NODE's shape (up to 500
 * writes a call, each applied only if not older by event time; no deletions). Each layout is
 * written, checked to read back the values, and checked to refuse an older write. Then rounds
 * per layout, in turn: reads of batches of 100 products (4 in flight), and every value written
 * again with a newer event time. It prints the medians over the rounds of Redis CPU µs per entity
 * read and per value written, each with its ratio to today's, and this process's CPU per entity
 * for today's read (the reader's part, which a layout changes less).
 */
import { entityKeyPart, featureByName } from '@fstore/contracts';
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
/** Writes per script call, as the store's WRITE_ON_NODE carries at most. */
const WRITES_PER_CALL = 500;
const TODAY = 'today: a key per value and per event time';

const t0 = Date.now();
const log = (m: string) =>
  console.error(`[value-layouts ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${m}`);

/** A candidate layout: how it is read (one call per batch of entity parts), parsed back and written. */
interface Candidate {
  name: string;
  readScript: string;
  /** readScript's ARGV before the entities' parts. */
  readArgs: string[];
  /** Per entity, per feature, the value read. */
  parse(reply: string): string[][];
  /** 4 ARGV a write: the entity's part, featureArg of the feature, the value, its event time. */
  writeScript: string;
  /** How writeScript names the feature at an index of PRODUCT_FEATURES. */
  featureArg(feature: number): string;
}

/** Lua: the event time before the first comma of "event time,value" (nil: no such value). */
const TIME_OF_PAIR = `local function timeOf(pair)
  if not pair or pair == '' then return nil end
  return tonumber(string.sub(pair, 1, string.find(pair, ',', 1, true) - 1))
end`;

const FIELD_SEP = ';';
const valueOfPair = (p: string) => p.slice(p.indexOf(',') + 1);
const groups = <T>(xs: T[], n: number) =>
  Array.from({ length: xs.length / n }, (_, i) => xs.slice(i * n, (i + 1) * n));

const CANDIDATES: Candidate[] = [
  {
    name: 'hash per entity, 8 fields (value, event time)',
    readScript: `#!lua flags=no-writes,allow-cross-slot-keys
local n = tonumber(ARGV[1])
local fields, joined, at = {}, {}, 0
for j = 1, n do fields[j] = ARGV[j + 1]; fields[n + j] = ARGV[j + 1] .. ':ts' end
for i = n + 2, #ARGV do
  local values = redis.call('HMGET', 'bl:h8:' .. ARGV[i], unpack(fields, 1, 2 * n))
  for j = 1, 2 * n do joined[at + j] = values[j] or '' end
  at = at + 2 * n
end
return table.concat(joined, ',')`,
    readArgs: [String(PRODUCT_FEATURES.length), ...PRODUCT_FEATURES],
    parse: (reply) =>
      groups(reply.split(','), 2 * PRODUCT_FEATURES.length).map((g) =>
        g.slice(0, PRODUCT_FEATURES.length),
      ),
    writeScript: `#!lua flags=allow-cross-slot-keys
local written = 0
for a = 1, #ARGV, 4 do
  local key, field = 'bl:h8:' .. ARGV[a], ARGV[a + 1]
  local stored = tonumber(redis.call('HGET', key, field .. ':ts'))
  if not stored or stored <= tonumber(ARGV[a + 3]) then
    redis.call('HSET', key, field, ARGV[a + 2], field .. ':ts', ARGV[a + 3])
    written = written + 1
  end
end
return written`,
    featureArg: (j) => PRODUCT_FEATURES[j],
  },
  {
    name: 'hash per entity, 4 fields "event time,value"',
    readScript: `#!lua flags=no-writes,allow-cross-slot-keys
local n = tonumber(ARGV[1])
local fields, joined, at = {}, {}, 0
for j = 1, n do fields[j] = ARGV[j + 1] end
for i = n + 2, #ARGV do
  local values = redis.call('HMGET', 'bl:h4:' .. ARGV[i], unpack(fields, 1, n))
  for j = 1, n do joined[at + j] = values[j] or '' end
  at = at + n
end
return table.concat(joined, '${FIELD_SEP}')`,
    readArgs: [String(PRODUCT_FEATURES.length), ...PRODUCT_FEATURES],
    parse: (reply) => groups(reply.split(FIELD_SEP).map(valueOfPair), PRODUCT_FEATURES.length),
    writeScript: `#!lua flags=allow-cross-slot-keys
${TIME_OF_PAIR}
local written = 0
for a = 1, #ARGV, 4 do
  local key, field = 'bl:h4:' .. ARGV[a], ARGV[a + 1]
  local stored = timeOf(redis.call('HGET', key, field))
  if not stored or stored <= tonumber(ARGV[a + 3]) then
    redis.call('HSET', key, field, ARGV[a + 3] .. ',' .. ARGV[a + 2])
    written = written + 1
  end
end
return written`,
    featureArg: (j) => PRODUCT_FEATURES[j],
  },
  {
    name: 'one string per entity, 4 "event time,value"',
    readScript: `#!lua flags=no-writes,allow-cross-slot-keys
local joined = {}
for i = 1, #ARGV do joined[i] = redis.call('GET', 'bl:s:' .. ARGV[i]) or '' end
return table.concat(joined, '${FIELD_SEP}')`,
    readArgs: [],
    parse: (reply) => groups(reply.split(FIELD_SEP).map(valueOfPair), PRODUCT_FEATURES.length),
    // The entity's record is rewritten whole: split, one pair replaced, joined, SET.
    writeScript: `#!lua flags=allow-cross-slot-keys
${TIME_OF_PAIR}
local written = 0
for a = 1, #ARGV, 4 do
  local key, i = 'bl:s:' .. ARGV[a], tonumber(ARGV[a + 1])
  local pairs, from, record = {}, 1, redis.call('GET', key)
  while record do
    local at = string.find(record, '${FIELD_SEP}', from, true)
    pairs[#pairs + 1] = string.sub(record, from, at and at - 1)
    if not at then break end
    from = at + 1
  end
  for j = #pairs + 1, i do pairs[j] = '' end
  local stored = timeOf(pairs[i])
  if not stored or stored <= tonumber(ARGV[a + 3]) then
    pairs[i] = ARGV[a + 3] .. ',' .. ARGV[a + 2]
    redis.call('SET', key, table.concat(pairs, '${FIELD_SEP}'))
    written = written + 1
  end
end
return written`,
    featureArg: (j) => String(j + 1),
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
  const r = await cluster.load(SECONDS, IN_FLIGHT, (call) => read(call % batches));
  return { redisUs: r.redisUs, readerUs: r.processUs, entities: r.calls * BATCH_SIZE };
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
    const values = PRODUCTS * PRODUCT_FEATURES.length;
    // Writers of every value at one event time, in calls of WRITES_PER_CALL; how many applied.
    const writers: { name: string; write: (eventTime: number) => Promise<number> }[] = [
      {
        name: TODAY,
        write: async (eventTime) => {
          let written = 0;
          for (let i = 0; i < rows.length; i += WRITES_PER_CALL / PRODUCT_FEATURES.length) {
            const chunk = rows.slice(i, i + WRITES_PER_CALL / PRODUCT_FEATURES.length);
            const writes: FeatureWrite[] = chunk.flatMap((r) =>
              PRODUCT_FEATURES.map((f) => ({
                feature: f,
                keyParts: [r.productId],
                value: r.values[f],
                eventTime,
              })),
            );
            written += (await store!.write(writes)).written;
          }
          return written;
        },
      },
      ...CANDIDATES.map((c) => ({
        name: c.name,
        write: async (eventTime: number) => {
          const args = rows.flatMap((r, i) =>
            PRODUCT_FEATURES.flatMap((f, j) => [
              parts[i],
              c.featureArg(j),
              String(r.values[f]),
              String(eventTime),
            ]),
          );
          let written = 0;
          for (let a = 0; a < args.length; a += 4 * WRITES_PER_CALL) {
            written += Number(
              await redis!.eval(c.writeScript, 0, ...args.slice(a, a + 4 * WRITES_PER_CALL)),
            );
          }
          return written;
        },
      })),
    ];
    for (const w of writers) {
      const written = await w.write(EVENT_TIME);
      if (written !== values) throw new Error(`${w.name}: seeding wrote ${written} of ${values}`);
      const older = await w.write(EVENT_TIME - 1);
      if (older !== 0) throw new Error(`${w.name}: ${older} older writes applied over newer ones`);
    }

    const batches = Math.floor(PRODUCTS / BATCH_SIZE); // a remainder is written, not read
    const batchOf = <T>(xs: T[], b: number) => xs.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE);
    const readers: { name: string; read: (b: number) => Promise<unknown> }[] = [
      { name: TODAY, read: (b) => store!.read('product', batchOf(ids, b), features) },
      ...CANDIDATES.map((c) => ({
        name: c.name,
        read: (b: number) => redis!.eval(c.readScript, 0, ...c.readArgs, ...batchOf(parts, b)),
      })),
    ];
    // Every layout answers the values written, before any is timed.
    for (let b = 0; b < batches; b++) {
      const today = await store.read('product', batchOf(ids, b), features);
      const expected = batchOf(rows, b);
      checkValues(
        TODAY,
        expected,
        today.map((vs) => vs.map((v) => String(v?.value))),
      );
      for (const c of CANDIDATES) {
        const reply = await redis.eval(c.readScript, 0, ...c.readArgs, ...batchOf(parts, b));
        checkValues(c.name, expected, c.parse(reply as string));
      }
    }
    log(
      `wrote and read back ${PRODUCTS} products × ${PRODUCT_FEATURES.length} features in each ` +
        'layout; an older write changes none of them',
    );

    for (const r of readers) await round(cluster, batches, r.read); // warm-up: JIT, script cache
    const readRounds = readers.map(() => [] as Round[]);
    const writeUs = writers.map(() => [] as number[]);
    for (let k = 0; k < ROUNDS; k++) {
      for (const [i, r] of readers.entries()) {
        readRounds[i].push(await round(cluster, batches, r.read));
      }
      for (const [i, w] of writers.entries()) {
        const redis0 = cluster.cpuNs();
        const written = await w.write(EVENT_TIME + k + 1);
        if (written !== values) throw new Error(`${w.name}: wrote ${written} of ${values}`);
        writeUs[i].push((cluster.cpuNs() - redis0) / 1000 / values);
      }
    }
    const read = readRounds.map((rs) => median(rs.map((x) => x.redisUs / x.entities)));
    const write = writeUs.map(median);
    const readerPerEntity = median(readRounds[0].map((x) => x.readerUs / x.entities));
    console.log(
      `\nRedis CPU µs per entity read (${PRODUCT_FEATURES.length} plain features; batches of ` +
        `${BATCH_SIZE}, ${IN_FLIGHT} in flight, rounds of ${SECONDS} s) and per value written ` +
        `(every value once a round, calls of ${WRITES_PER_CALL}), median of ${ROUNDS} rounds\n`,
    );
    console.log('| layout | read µs / entity | ÷ today | write µs / value | ÷ today |');
    console.log('|---|---:|---:|---:|---:|');
    readers.forEach((r, i) =>
      console.log(
        `| ${r.name} | ${read[i].toFixed(2)} | ${(read[i] / read[0]).toFixed(2)} | ` +
          `${write[i].toFixed(2)} | ${(write[i] / write[0]).toFixed(2)} |`,
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
  console.error(`value-layouts: ${e.message}`);
  process.exitCode = 1;
});
