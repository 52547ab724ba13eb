/**
 * Micro-benchmark of reading time windows (issue 15: a windowed value must not cost more than 3
 * plain values to read). bench:serving measures whole requests through nginx; this isolates the
 * online store's read, the code path of the feature server (`RedisClusterOnlineStore.read`: the
 * turn batcher, one READ_ENTITIES script per node, the values parsed), against a private Redis
 * Cluster it starts and removes itself: no stack, nothing else touched.
 *
 *   npm run bench:window-read [-- --port 16400 --products 2000 --seconds 1.5 --rounds 5
 *                                 --concurrency 4]
 *   (or: node -r ./bin/register bench/window-read.ts [-- …])
 *
 * Steps: start 3 redis-server masters on 127.0.0.1 (ports port..port+2, no persistence, a temp
 * dir), make them a cluster; seed the products of bench:serving's data set (4 plain features, and
 * 24 tiles each of units_sold_7d and avg_rating_7d); check once that every value reads back as
 * seeded; then alternate rounds of batches of 100 products reading the 4 plain features or the 2
 * windowed ones, and measure the CPU each round took in this process (the reader) and in the
 * three Redis processes. Prints, per kind of value, the median over the rounds of CPU µs per value
 * read, and the ratio windowed / plain; and, once, the CPU per tile of writing every tile again
 * (the writer's side: this process and Redis). The servers are stopped on the way out (also on failure
 * or Ctrl-C).
 */
import { featureByName } from '@fstore/contracts';
import { FeatureWrite, RedisClusterOnlineStore, StoredFeature } from '@fstore/online-store';
import { arg } from './args';
import { PrivateRedisCluster } from './private-redis-cluster';
import {
  PRODUCT_FEATURES,
  productRows,
  sameNumber,
  TILES_PER_PRODUCT,
  WINDOW_FEATURES,
  WindowFeature,
  windowTiles,
} from './serving/data';

const BATCH_SIZE = 100;
const PORT = Number(arg('port', '16400'));
const PRODUCTS = Number(arg('products', '2000'));
const SECONDS = Number(arg('seconds', '1.5'));
const ROUNDS = Number(arg('rounds', '5'));
const CONCURRENCY = Number(arg('concurrency', '4'));
const PORTS = [PORT, PORT + 1, PORT + 2];

const t0 = Date.now();
const log = (m: string) =>
  console.log(`[window-read ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${m}`);

const feature = (name: string) => featureByName(name)!;
const granularityOf = (f: WindowFeature) => feature(f).tiles!.granularityMs;
const RUN_START = Date.now();
const newestTileEnd = (f: WindowFeature) =>
  Math.ceil(RUN_START / granularityOf(f)) * granularityOf(f);

async function seed(
  store: RedisClusterOnlineStore,
  rows: ReturnType<typeof productRows>,
  windowsOnly = false,
) {
  for (let i = 0; i < rows.length; i += 500) {
    const writes: FeatureWrite[] = rows.slice(i, i + 500).flatMap((r, k) => [
      ...(windowsOnly ? [] : PRODUCT_FEATURES).map((f) => ({
        feature: f,
        keyParts: [r.productId],
        value: r.values[f],
        eventTime: RUN_START,
      })),
      ...WINDOW_FEATURES.flatMap((f) =>
        windowTiles(i + k, f, newestTileEnd(f), granularityOf(f)).tiles.map((tile) => ({
          feature: f,
          keyParts: [r.productId],
          tile,
        })),
      ),
    ]);
    await store.write(writes);
  }
}

/** Every value reads back as seeded (the windows as their tiles' merge), through both paths. */
async function check(
  store: RedisClusterOnlineStore,
  rows: ReturnType<typeof productRows>,
  plain: StoredFeature[],
  windowed: StoredFeature[],
) {
  const ids = rows.map((r) => [r.productId]);
  const manyPlain = await store.read('product', ids, plain);
  const manyWindowed = await store.read('product', ids, windowed);
  const oneWindowed = await store.read('product', ids.slice(0, 1), windowed);
  rows.forEach((r, i) => {
    PRODUCT_FEATURES.forEach((f, j) => {
      const got = manyPlain[i][j]?.value;
      if (got === undefined || !sameNumber(got, Number(r.values[f]))) {
        throw new Error(`${r.productId} ${f}: read ${got}, seeded ${r.values[f]}`);
      }
    });
    WINDOW_FEATURES.forEach((f, j) => {
      const want = windowTiles(i, f, newestTileEnd(f), granularityOf(f)).value;
      const got = manyWindowed[i][j]?.value;
      if (got !== want) throw new Error(`${r.productId} ${f}: read ${got}, merge gives ${want}`);
    });
  });
  if (JSON.stringify(oneWindowed[0]) !== JSON.stringify(manyWindowed[0])) {
    throw new Error('one entity read alone differs from the same entity read in a batch');
  }
}

interface Round {
  readerUs: number;
  redisUs: number;
  values: number;
  requests: number;
}

/** Batches of 100 products, CONCURRENCY in flight, for SECONDS; the CPU that took. */
async function round(
  cluster: PrivateRedisCluster,
  store: RedisClusterOnlineStore,
  ids: string[][],
  features: StoredFeature[],
): Promise<Round> {
  const batches = Math.floor(ids.length / BATCH_SIZE);
  const r = await cluster.load(SECONDS, CONCURRENCY, (call) => {
    const b = call % batches;
    return store.read('product', ids.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE), features);
  });
  return {
    readerUs: r.processUs,
    redisUs: r.redisUs,
    values: r.calls * BATCH_SIZE * features.length,
    requests: r.calls,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function perValue(rounds: Round[]) {
  return {
    reader: median(rounds.map((r) => r.readerUs / r.values)),
    redis: median(rounds.map((r) => r.redisUs / r.values)),
    total: median(rounds.map((r) => (r.readerUs + r.redisUs) / r.values)),
    requestsPerSecond: median(rounds.map((r) => r.requests / SECONDS)),
  };
}

async function main() {
  const cluster = new PrivateRedisCluster(PORTS, log);
  const stop = () => cluster.stop();
  process.once('SIGINT', () => (stop(), process.exit(130)));
  process.once('SIGTERM', () => (stop(), process.exit(143)));
  let store: RedisClusterOnlineStore | undefined;
  try {
    await cluster.start();
    log(`private Redis Cluster on 127.0.0.1:${PORTS.join(',')}`);
    store = new RedisClusterOnlineStore({
      host: '127.0.0.1',
      ports: PORTS,
      commandTimeoutMs: 30000,
    });
    const rows = productRows(PRODUCTS);
    await seed(store, rows);
    const plain = PRODUCT_FEATURES.map(feature);
    const windowed = WINDOW_FEATURES.map(feature);
    await check(store, rows, plain, windowed);
    log(
      `seeded and checked ${PRODUCTS} products: ${PRODUCT_FEATURES.join(', ')} plain; ` +
        `${WINDOW_FEATURES.join(', ')} windowed (24 tiles each)`,
    );
    // The writer's side: every tile written again (a replay: same tiles, same result), the CPU
    // of this process (the store's write, as the feature writer calls it) and of Redis per tile.
    const tileWrites = PRODUCTS * WINDOW_FEATURES.length * TILES_PER_PRODUCT;
    await seed(store, rows, true); // warm-up
    const write0 = process.cpuUsage();
    const writeRedis0 = cluster.cpuNs();
    await seed(store, rows, true);
    const writeCpu = process.cpuUsage(write0);
    const writeRedisUs = (cluster.cpuNs() - writeRedis0) / 1000;
    const writerUs = (writeCpu.user + writeCpu.system) / tileWrites;
    const ids = rows.map((r) => [r.productId]);
    // Warm-up: JIT, connections, script cache.
    await round(cluster, store, ids, plain);
    await round(cluster, store, ids, windowed);
    const plainRounds: Round[] = [];
    const windowedRounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      plainRounds.push(await round(cluster, store, ids, plain));
      windowedRounds.push(await round(cluster, store, ids, windowed));
    }
    const p = perValue(plainRounds);
    const w = perValue(windowedRounds);
    const row = (name: string, v: ReturnType<typeof perValue>) =>
      `${name.padEnd(10)} ${v.reader.toFixed(2).padStart(8)} ${v.redis.toFixed(2).padStart(8)} ` +
      `${v.total.toFixed(2).padStart(8)} ${v.requestsPerSecond.toFixed(0).padStart(8)}`;
    console.log(
      [
        `CPU µs per value read, median of ${ROUNDS} rounds of ${SECONDS} s ` +
          `(batches of ${BATCH_SIZE} products, ${CONCURRENCY} in flight)`,
        `${'value'.padEnd(10)} ${'reader'.padStart(8)} ${'redis'.padStart(8)} ${'total'.padStart(8)} ${'req/s'.padStart(8)}`,
        row('plain', p),
        row('windowed', w),
        `windowed / plain: ${(w.total / p.total).toFixed(2)}× ` +
          `(reader ${(w.reader / p.reader).toFixed(2)}×, redis ${(w.redis / p.redis).toFixed(2)}×)`,
        `tile writes (${tileWrites}, a replay of every tile): CPU µs per tile: writer ` +
          `${writerUs.toFixed(2)}, redis ${(writeRedisUs / tileWrites).toFixed(2)}, total ` +
          `${(writerUs + writeRedisUs / tileWrites).toFixed(2)}`,
      ].join('\n'),
    );
  } finally {
    await store?.close();
    stop();
  }
}

main().catch((e: Error) => {
  console.error(`window-read: ${e.message}`);
  process.exitCode = 1;
});
