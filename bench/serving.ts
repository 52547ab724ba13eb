/**
 * The serving benchmark (issue 7): fstore's feature server through nginx against the Redis
 * Cluster's own GET limit (redis-benchmark) and against the Feast feature server on the same data.
 *
 *   npm run bench:serving            (or: node -r ./bin/register bench/serving.ts)
 *   npm run bench:serving -- --serving-url http://127.0.0.1:8100
 *                                    (a serving tier already running there, e.g. another
 *                                     checkout's instances behind their own nginx: nothing started)
 *   npm run bench:serving -- --tracing-only
 *                                    (only tracing's cost: single GETs at the default sampling
 *                                     and with tracing off; no Feast, no batch runs)
 *
 * Steps: bring the serving tier up (idempotent), create a reader user with a random password and
 * log in through nginx; seed N products × 4 features into fstore's Redis layout and materialize
 * the same values into Feast (own venv, feature repo under <stack>/data/feast); check once that
 * both servers answer the same values; then, with the same connections and duration, load
 * fstore (single GET, batch 100×4), redis-benchmark GET and Feast (1×4, 100×4) with wrk, and print
 * the table and the issue's targets. Any non-2xx answer or socket error fails the run.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { loadavg } from 'os';
import { join } from 'path';
import { FstoreConfig, loadConfig, redisCredentials } from '@fstore/config';
import { featureByName, featureKey } from '@fstore/contracts';
import { EntityFeatures, FeatureServerClient } from '@fstore/client';
import { FeatureWrite, RedisClusterOnlineStore } from '@fstore/online-store';
import { aptInstall, commandExists, StackPaths } from '../apps/cli/src/stack/processes';
import { stackContext, stackDown, stackUp } from '../apps/cli/src/stack/stack';
import type { StackContext } from '../apps/cli/src/stack/component';
import { createUserAndLogin } from './reader';
import { usedMemory } from './redis';
import { CpuMeter, runningPids, withChildren } from './serving/cpu';
import {
  PRODUCT_FEATURES,
  ProductRow,
  productRows,
  rowsCsv,
  sameNumber,
  TILES_PER_PRODUCT,
  WINDOW_FEATURES,
  WindowFeature,
  windowTiles,
} from './serving/data';
import { httpRequest } from './serving/http';
import { ensureFeastVenv, FEAST_VERSION, FeastServer, prepareFeastRepo } from './serving/feast';
import { formatReport, formatTracingCost, FstoreRun, Measurements } from './serving/report';
import { measureTracingCost } from './serving/tracing-cost';
import { BenchError, capture, LoadResult, parseRedisBenchmarkCsv, runWrk } from './serving/wrk';

const PRODUCTS = 10000;
const BATCH_SIZE = 100;
const WARMUP_SECONDS = 3;
// One wrk thread drives the 64 connections well past 10,000 req/s; a second one only takes
// more of the 2 cores the servers under test share with it (~30 -> ~22 µs of wrk CPU a request).
const WRK_THREADS = 1;
const BENCH_USER = 'bench-serving@fstore.local';
const FEAST_VIEW = 'product_features';
const LUA = join(__dirname, 'serving', 'requests.lua');

const t0 = Date.now();
const log = (m: string) =>
  console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${m}`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function seedFstore(config: FstoreConfig, rows: ProductRow[], eventTime: number) {
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin', {
    commandTimeoutMs: 10000,
  });
  try {
    let written = 0;
    for (let i = 0; i < rows.length; i += 1000) {
      const writes: FeatureWrite[] = rows.slice(i, i + 1000).flatMap((r) =>
        PRODUCT_FEATURES.map((feature) => ({
          feature,
          keyParts: [r.productId],
          value: r.values[feature],
          eventTime,
        })),
      );
      const result = await store.write(writes);
      if (result.skippedOlder > 0) {
        throw new BenchError(`${result.skippedOlder} seeded values were older than stored ones`);
      }
      written += result.written;
    }
    log(`seeded ${written} values (${rows.length} products × ${PRODUCT_FEATURES.length} features)`);
    // Redis memory the windows take: used_memory over the masters before and after their tiles
    // (re-seeding over existing keys of an earlier run reads as ~0: the figure is for a fresh run).
    // An earlier run's tiles sit in other slots of the same ring and still count for up to a
    // window: the products' window keys start empty.
    for (let i = 0; i < rows.length; i += 500) {
      await Promise.all(
        rows
          .slice(i, i + 500)
          .flatMap((r) =>
            WINDOW_FEATURES.map((f) => store.client.del(featureKey(f, [r.productId]))),
          ),
      );
    }
    const before = await usedMemory(store);
    let tiles = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const writes: FeatureWrite[] = rows
        .slice(i, i + 500)
        .flatMap((r, k) =>
          WINDOW_FEATURES.flatMap((feature) =>
            windowTiles(i + k, feature, newestTileEnd(feature), granularityOf(feature)).tiles.map(
              (tile) => ({ feature, keyParts: [r.productId], tile }),
            ),
          ),
        );
      tiles += (await store.write(writes)).written;
    }
    const windowKeys = rows.length * WINDOW_FEATURES.length;
    const perThousand = ((await usedMemory(store)) - before) / (windowKeys / 1000);
    log(
      `seeded ${tiles} tiles (${WINDOW_FEATURES.join(', ')}: ${TILES_PER_PRODUCT} per product); ` +
        `Redis memory per 1,000 window keys of ${TILES_PER_PRODUCT} tiles: ${(perThousand / 1024).toFixed(0)} KiB`,
    );
  } finally {
    await store.close();
  }
}

const granularityOf = (feature: WindowFeature) => featureByName(feature)!.tiles!.granularityMs;
/** The end of the tile now falls in, fixed for the whole run (the window keeps the tiles 7 days). */
const RUN_START = Date.now();
const newestTileEnd = (feature: WindowFeature) =>
  Math.ceil(RUN_START / granularityOf(feature)) * granularityOf(feature);

const batchIds = (rows: ProductRow[], b: number) =>
  rows.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE).map((r) => r.productId);
const feastFeatures = PRODUCT_FEATURES.map((f) => `${FEAST_VIEW}:${f}`);
const fstoreBatchBody = (ids: string[]) =>
  JSON.stringify({ entity: 'product', ids, features: PRODUCT_FEATURES });
const fstoreWindowedBody = (ids: string[]) =>
  JSON.stringify({ entity: 'product', ids, features: [...PRODUCT_FEATURES, ...WINDOW_FEATURES] });
const feastBody = (ids: string[]) =>
  JSON.stringify({ features: feastFeatures, entities: { product_id: ids } });

/** Request lists for the Lua script: one request a line, rotating over every product. */
function writeRequestFiles(dir: string, rows: ProductRow[]) {
  mkdirSync(dir, { recursive: true });
  const batches = Array.from({ length: Math.ceil(rows.length / BATCH_SIZE) }, (_, b) =>
    batchIds(rows, b),
  );
  const files = {
    // The four plain features, named: the product's windows are the windowed batch's part.
    fstoreSingle: rows.map(
      (r) =>
        `GET /v1/features/product/${encodeURIComponent(r.productId)}?names=${PRODUCT_FEATURES.join(',')}`,
    ),
    fstoreBatch: batches.map((ids) => `POST /v1/features/batch ${fstoreBatchBody(ids)}`),
    fstoreBatchWindowed: batches.map((ids) => `POST /v1/features/batch ${fstoreWindowedBody(ids)}`),
    feastSingle: rows.map((r) => `POST /get-online-features ${feastBody([r.productId])}`),
    feastBatch: batches.map((ids) => `POST /get-online-features ${feastBody(ids)}`),
  };
  const paths = {} as Record<keyof typeof files, string>;
  for (const [name, lines] of Object.entries(files) as [keyof typeof files, string[]][]) {
    paths[name] = join(dir, `${name}.requests`);
    writeFileSync(paths[name], lines.join('\n') + '\n');
  }
  return paths;
}

function expectValues(what: string, row: ProductRow, got: Record<string, unknown>): void {
  for (const f of PRODUCT_FEATURES) {
    const want = Number(row.values[f]);
    if (typeof got[f] !== 'number' || !sameNumber(got[f] as number, want)) {
      throw new BenchError(
        `${what}: ${row.productId} ${f} = ${JSON.stringify(got[f])}, expected ${want}`,
      );
    }
  }
}

async function postJson(url: string, body: string, token?: string): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await httpRequest(url, { method: 'POST', headers, body });
  if (res.status !== 200) throw new BenchError(`POST ${url}: ${res.status} ${res.body}`);
  return JSON.parse(res.body);
}

const fstoreValues = (e: EntityFeatures) =>
  Object.fromEntries(Object.entries(e.features).map(([k, v]) => [k, v?.value]));

interface FeastResponse {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[] }[];
}
/** Feast answers column-wise: one result per feature (the join key first), one value per entity. */
function feastValues(res: FeastResponse, entities: number): Record<string, unknown>[] {
  return Array.from({ length: entities }, (_, j) =>
    Object.fromEntries(
      res.metadata.feature_names.map((name, i) => {
        const column = res.results[i];
        const present = column.statuses[j] === 'PRESENT';
        return [name.replace(`${FEAST_VIEW}__`, ''), present ? column.values[j] : null];
      }),
    ),
  );
}

/** One real request of each kind to each server; every value must be the seeded one. */
async function verify(
  client: FeatureServerClient,
  feastUrl: string,
  rows: ProductRow[],
): Promise<void> {
  const row = rows[Math.floor(rows.length / 2) + 7];
  const single = fstoreValues(await client.getFeatures('product', row.productId, PRODUCT_FEATURES));
  expectValues('fstore GET', row, single);
  const ids = batchIds(rows, 3);
  const batch = await client.getOnlineFeatures('product', ids, PRODUCT_FEATURES);
  if (batch.results.length !== ids.length) throw new BenchError('fstore batch: wrong length');
  batch.results.forEach((e, j) =>
    expectValues('fstore batch', rows[3 * BATCH_SIZE + j], fstoreValues(e)),
  );
  const windowed = await client.getOnlineFeatures('product', ids, [
    ...PRODUCT_FEATURES,
    ...WINDOW_FEATURES,
  ]);
  windowed.results.forEach((e, j) => {
    const index = 3 * BATCH_SIZE + j;
    expectValues('fstore windowed batch', rows[index], fstoreValues(e));
    for (const f of WINDOW_FEATURES) {
      const want = windowTiles(index, f, newestTileEnd(f), granularityOf(f)).value;
      const got = e.features[f]?.value;
      if (got === undefined || got === null || !sameNumber(want, got)) {
        throw new BenchError(
          `fstore windowed batch: ${rows[index].productId} ${f}: ${got} ≠ ${want}`,
        );
      }
    }
  });

  const feastSingle = feastValues(
    (await postJson(
      `${feastUrl}/get-online-features`,
      feastBody([row.productId]),
    )) as FeastResponse,
    1,
  );
  expectValues('Feast 1×4', row, feastSingle[0]);
  const feastBatch = feastValues(
    (await postJson(`${feastUrl}/get-online-features`, feastBody(ids))) as FeastResponse,
    ids.length,
  );
  feastBatch.forEach((v, j) => expectValues('Feast 100×4', rows[3 * BATCH_SIZE + j], v));
  log(
    `verified: fstore and Feast return the same values for ${row.productId} ` +
      `(${PRODUCT_FEATURES.map((f) => `${f}=${single[f]}`).join(', ')}) and for a batch of ${ids.length}`,
  );
}

/** The value after a command-line flag, if the flag is given. */
function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const checkTargets = process.argv.includes('--check-targets');
  const servingUrl = argValue('--serving-url');
  const tracingOnly = process.argv.includes('--tracing-only');
  const rounds = Number(argValue('--rounds') ?? DEFAULT_TRACING_ROUNDS);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new BenchError(`--rounds: a whole number of at least 1, got ${argValue('--rounds')}`);
  log(`load average at start: ${load()}`);
  // The load generators, from Debian like the stack's other packages (a fresh machine has neither).
  const tools = { wrk: 'wrk', 'redis-benchmark': 'redis-tools' };
  const missing = Object.entries(tools).filter(([command]) => !commandExists(command));
  if (missing.length > 0) await aptInstall([...new Set(missing.map(([, pkg]) => pkg))], log);

  const ctx = stackContext(log);
  if (servingUrl) {
    log(`1/5 serving tier at ${servingUrl} (given: nothing started)`);
  } else {
    log('1/5 serving stack (fstore stack up serving), tracing at the default settings');
    await restartServing(ctx);
  }
  const config = loadConfig();
  const meter = cpuMeter(ctx.paths, config, !servingUrl);
  const { connections, durationSeconds, feastPort, feastWorkers } = config.bench;
  for (const f of PRODUCT_FEATURES) if (!featureByName(f)) throw new BenchError(`unknown ${f}`);
  const lbUrl = servingUrl ?? config.serving.url;
  const { client, token } = await createUserAndLogin(config, lbUrl, BENCH_USER);
  log(`logged in through nginx (${lbUrl}) as ${BENCH_USER} (reader)`);

  log(`2/5 seeding ${PRODUCTS} products into fstore's Redis layout`);
  const rows = productRows(PRODUCTS);
  const eventTime = Math.floor(Date.now() / 1000) * 1000;
  await seedFstore(config, rows, eventTime);
  const dataDir = join(config.stackDir, 'data');
  const requests = writeRequestFiles(join(dataDir, 'bench'), rows);

  const wrk = async (
    label: string,
    url: string,
    file: string,
    auth?: string,
    cpu?: CpuMeter,
  ): Promise<FstoreRun> => {
    const base = {
      url,
      requestsFile: file,
      luaScript: LUA,
      connections,
      threads: WRK_THREADS,
      token: auth,
    };
    log(`${label}: warm-up ${WARMUP_SECONDS} s`);
    const warm = await runWrk({
      ...base,
      label: `${label} (warm-up)`,
      durationSeconds: WARMUP_SECONDS,
    });
    log(`${label}: ${durationSeconds} s, ${connections} connections (load average ${load()})`);
    const stop = cpu?.start();
    const r = await runWrk({ ...base, label, durationSeconds });
    const cpuMicrosPerRequest = stop?.(r.requests);
    r.failures.unshift(...warm.failures);
    for (const f of r.failures) log(`!! ${f}`);
    log(
      `${label}: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`,
    );
    if (cpuMicrosPerRequest) {
      const parts = Object.entries(cpuMicrosPerRequest).map(([g, us]) => `${g} ${us.toFixed(0)}`);
      log(`${label}: CPU µs per request: ${parts.join(', ')}`);
    }
    return { ...r, cpuMicrosPerRequest };
  };

  const tracingRounds = (requestsFile: string) => {
    log(`tracing's cost: ${rounds} rounds of ${TRACING_ROUND_SECONDS} s, two instances of its own`);
    return measureTracingCost(config, {
      rounds,
      secondsPerRound: TRACING_ROUND_SECONDS,
      connections,
      requestsFile,
      luaScript: LUA,
      token,
      log,
      cpuProfileDir: argValue('--cpu-prof-dir'),
    });
  };
  if (tracingOnly) {
    // Tracing's cost alone (no Feast, no batch runs): iterating on the instrumentation.
    const cost = formatTracingCost(await tracingRounds(requests.fstoreSingle));
    console.log(`\n${cost.text}`);
    if (checkTargets && !cost.withinBudget) process.exitCode = 1;
    return;
  }

  log(`3/5 Feast ${FEAST_VERSION}: venv, feature repo, materialize`);
  const venv = await ensureFeastVenv(config.cacheDir, log);
  const repoDir = join(dataDir, 'feast');
  const rowsCsvPath = join(dataDir, 'bench', 'products.csv');
  writeFileSync(rowsCsvPath, rowsCsv(rows, eventTime));
  await prepareFeastRepo(
    {
      venv,
      repoDir,
      rowsCsv: rowsCsvPath,
      host: config.host,
      redisPorts: config.redis.clusterPorts,
      redisLogin: redisCredentials(config, 'fstore-admin'),
      eventTimeMs: eventTime,
    },
    log,
  );
  const feast = await FeastServer.start(
    { venv, repoDir, host: config.host, port: feastPort, workers: feastWorkers },
    log,
  );
  // Interrupted: stop the Feast server this run started, then exit as the signal would have.
  const onSignal = (signal: NodeJS.Signals) =>
    void feast.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await verify(client, feast.url, rows);

    log('4/5 load: fstore through nginx, then redis-benchmark');
    const fstoreSingle = await wrk('fstore single GET', lbUrl, requests.fstoreSingle, token, meter);
    const fstoreBatch = await wrk('fstore batch 100×4', lbUrl, requests.fstoreBatch, token, meter);
    const fstoreBatchWindowed = await wrk(
      'fstore batch 100×(4+2 windowed)',
      lbUrl,
      requests.fstoreBatchWindowed,
      token,
      meter,
    );
    const redis = await redisBenchmark(config);

    log('5/5 load: Feast');
    const feastSingle = await wrk('Feast 1×4', feast.url, requests.feastSingle);
    const feastBatch = await wrk('Feast 100×4', feast.url, requests.feastBatch);

    // Tracing's cost (issue 18): instances of this run's own, off and at the defaults.
    const tracing = formatTracingCost(await tracingRounds(requests.fstoreSingle));

    const m: Measurements = {
      fstoreSingle,
      fstoreBatch,
      fstoreBatchWindowed,
      feastSingle,
      feastBatch,
      redisGet: redis,
      connections,
      durationSeconds,
      feastVersion: FEAST_VERSION,
      feastWorkers,
      products: PRODUCTS,
      loadAverage: load(),
    };
    const { text, targetsMet, failures } = formatReport(m);
    console.log(`\n${text}`);
    console.log(tracing.text);
    const resultFile = join(dataDir, 'bench', 'serving-result.json');
    writeFileSync(
      resultFile,
      JSON.stringify({ at: new Date().toISOString(), servingUrl: lbUrl, ...m }, null, 2),
    );
    log(`figures written to ${resultFile}`);
    if (failures.length > 0) {
      throw new BenchError(
        `${failures.length} run(s) had failed requests; the figures above are not valid:\n  ` +
          failures.join('\n  '),
      );
    }
    if (checkTargets && (!targetsMet || !tracing.withinBudget)) process.exitCode = 1;
  } finally {
    log('stopping Feast');
    await feast.stop();
  }
}

/** Rounds of tracing's comparison (`--rounds`), and each round's length. */
const DEFAULT_TRACING_ROUNDS = 5;
const TRACING_ROUND_SECONDS = 10;

/**
 * Restarts the serving tier with tracing at its default settings (this process's environment
 * without the tracing variables): the instances read them at start.
 */
async function restartServing(ctx: StackContext): Promise<void> {
  delete process.env.FSTORE_TRACING_SAMPLE_RATIO;
  delete process.env.FSTORE_TRACING_SERVING_SAMPLE_RATIO;
  delete process.env.FSTORE_TRACING_OTLP_ENDPOINT;
  await stackDown(ctx, ['serving']);
  await stackUp(ctx, ['serving']);
}

/**
 * Per-process CPU of the fstore runs: the feature-server instances, nginx (master and workers)
 * and the Redis Cluster nodes of this stack; only Redis for a serving tier given by URL.
 */
function cpuMeter(paths: StackPaths, config: FstoreConfig, ownServingTier: boolean): CpuMeter {
  const groups: Record<string, number[]> = {};
  if (ownServingTier) {
    groups['feature-server'] = runningPids(
      paths,
      config.serving.instancePorts.map((p) => `feature-server-${p}`),
    );
    groups.nginx = runningPids(paths, ['nginx']).flatMap(withChildren);
  }
  groups.redis = runningPids(
    paths,
    config.redis.clusterPorts.map((p) => `redis-${p}`),
  );
  return new CpuMeter(groups);
}

async function redisBenchmark(config: FstoreConfig): Promise<LoadResult> {
  const n = 300000;
  const args = ['--cluster', '-h', config.redis.host, '-p', String(config.redis.clusterPorts[0])];
  const { username, password } = redisCredentials(config, 'fstore-admin');
  if (password) args.push('--user', username, '-a', password);
  args.push('-c', String(config.bench.connections), '-n', String(n), '-t', 'get');
  args.push('-r', String(PRODUCTS), '-d', '8', '--csv');
  log(
    `redis-benchmark GET: ${n} requests, ${config.bench.connections} connections (load average ${load()})`,
  );
  const { stdout, stderr, code } = await capture('redis-benchmark', args);
  if (code !== 0) throw new BenchError(`redis-benchmark exited ${code}: ${stderr}${stdout}`);
  const r = parseRedisBenchmarkCsv('GET', stdout);
  log(
    `redis-benchmark GET: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
  );
  return r;
}

main().catch((e: unknown) => {
  console.error(`\nbench:serving FAILED: ${e instanceof Error ? e.message : String(e)}`);
  if (!(e instanceof BenchError) && e instanceof Error) console.error(e.stack);
  process.exit(1);
});
