/**
 * The soak (issue 20): the stack's real streaming pipeline and serving tier under a steady load for
 * a long time, with the memory of every process and the Flink state sampled every minute, which
 * must be flat at the end; then the final Redis values against the reference implementation.
 *
 *   npm run bench:soak [-- --minutes 30 --events-per-second 2000 --reads-per-second 1000
 *                         --redeliveries 0.01 --customers 5000 --products 2000
 *                         --sample-seconds 60 --check]
 *
 * Brings up the pipeline (`fstore pipeline up`: Flink, the stack's `features-transactions`
 * deployment through the control plane, the feature writer) and `serving` and `monitoring`, as
 * their commands would. Produces events of its own entities (`soak<run>-…`, a bounded set: memory
 * must not grow with the run's length) to the stack's transactions topic, paced in 10 ms slices,
 * with a share of redeliveries (an earlier event sent again, same id and payload); reads single
 * GETs of its customers through nginx as a reader of its own (keep-alive, paced), counting failed
 * reads by status. Every sample: RSS of every process with a pid file in <stack>/run (with its
 * children), Redis used_memory over the masters, each running Flink job's latest checkpoint size,
 * the stack writer's consumer lag. At the end it waits for the pipeline to drain, compares the
 * plain stream features of the checked entities with the reference implementation
 * (test/support/interpreter.ts) over exactly the events it sent, prints the samples and a flatness
 * verdict per series (bench/soak/flat.ts), and writes <stack>/data/bench/soak-result.json.
 * `--check`: exit 1 when a series is not flat, a read failed, or a value differs. Its reader user
 * and its entities' Redis keys are deleted at the end, on failure and on Ctrl-C.
 */
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'fs';
import { Agent, request } from 'http';
import { randomUUID } from 'crypto';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { loadavg } from 'os';
import { join } from 'path';
import { FstoreConfig, kafkaClientConfig, loadConfig } from '@fstore/config';
import { FEATURE_TOPIC_PREFIX, featureKey, STREAM_FEATURES, TOPICS } from '@fstore/contracts';
import { FlinkJobs } from '@fstore/flink';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { pipelineUp } from '../apps/cli/src/pipeline/pipeline';
import { runningPid, StackPaths } from '../apps/cli/src/stack/processes';
import { stackContext, stackUp } from '../apps/cli/src/stack/stack';
import type { OracleEvent } from '../test/support/oracle';
import { arg } from './args';
import { Cleanups } from './cleanups';
import { EventProducer } from './event-producer';
import { createUserAndLogin, removeUser } from './reader';
import { deleteEntityKeys, keyCount, usedMemory } from './redis';
import { withChildren } from './serving/cpu';
import { BenchError } from './serving/wrk';
import {
  checkedIds,
  dueBy,
  isChecked,
  redeliveryOf,
  SoakShape,
  soakEvent,
  wireMessage,
} from './soak/load';
import { holdsUp } from './soak/flat';
import { compareValues, Comparison, formatComparison, referenceValues } from './soak/reference';
import {
  formatSamples,
  formatVerdicts,
  groupLag,
  parseVmRss,
  progressLine,
  Sample,
  verdicts,
  memoryPerThousandKeys,
  formatMemoryPerKeys,
} from './soak/report';

const SOAK_USER = 'bench-soak@fstore.local';
const TICK_MS = 10;
/** A redelivery resends the event sent this many events before it (kept in a ring). */
const REDELIVERY_LAG = 1000;
/** Reads waiting for an answer at most; beyond, the schedule waits (and the rate shows it). */
const MAX_IN_FLIGHT = 64;
/** Reads start once the last customer's value is in Redis (all of them exist), or after this. */
const READ_WAIT_MS = 60000;
/** How long the end waits for the pipeline to drain before comparing what Redis holds. */
const DRAIN_MS = 180000;
/** Entities compared with the reference at the end (all their events are kept for it). */
const CHECK_CUSTOMERS = 50;
const CHECK_PRODUCTS = 20;
const CATEGORIES = 8;
/** The feature each read asks for. */
const READ_FEATURE = 'last_purchase_amount';

const t0 = Date.now();
const log = (m: string) =>
  console.log(`[soak ${((Date.now() - t0) / 1000).toFixed(1).padStart(7)}s] ${m}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function numberArg(name: string, fallback: number, ok: (n: number) => boolean, what: string) {
  const n = Number(arg(name, String(fallback)));
  if (!ok(n)) throw new BenchError(`--${name} takes ${what}, got ${arg(name, '')}`);
  return n;
}

function options() {
  const positive = (n: number) => n > 0;
  const whole = (n: number) => Number.isInteger(n) && n > 0;
  return {
    minutes: numberArg('minutes', 30, positive, 'a number of minutes > 0'),
    eventsPerSecond: numberArg('events-per-second', 2000, positive, 'a rate > 0'),
    readsPerSecond: numberArg('reads-per-second', 1000, (n) => n >= 0, 'a rate ≥ 0'),
    redeliveries: numberArg('redeliveries', 0.01, (n) => n >= 0 && n < 1, 'a share in [0, 1)'),
    customers: numberArg(
      'customers',
      5000,
      (n) => whole(n) && n >= CHECK_CUSTOMERS,
      'a whole number ≥ 50',
    ),
    products: numberArg(
      'products',
      2000,
      (n) => whole(n) && n >= CHECK_PRODUCTS,
      'a whole number ≥ 20',
    ),
    sampleSeconds: numberArg('sample-seconds', 60, positive, 'a number of seconds > 0'),
    check: process.argv.includes('--check'),
  };
}
type Options = ReturnType<typeof options>;

/** Resident memory of every process the stack has a pid file for (each with its children). */
function stackRss(paths: StackPaths): Record<string, number> {
  const out: Record<string, number> = {};
  let names: string[] = [];
  try {
    names = readdirSync(paths.run).filter((f) => f.endsWith('.pid'));
  } catch {
    return out; // no run directory: nothing started
  }
  for (const name of names.map((f) => f.slice(0, -'.pid'.length)).sort()) {
    const pid = runningPid(paths, name);
    if (pid === undefined) continue;
    let rss = 0;
    for (const p of withChildren(pid)) {
      try {
        rss += parseVmRss(readFileSync(`/proc/${p}/status`, 'utf8')) ?? 0;
      } catch {
        // gone in the meantime
      }
    }
    out[name] = rss;
  }
  return out;
}

/** Each running Flink job's latest completed checkpoint's state size, by job name. */
async function checkpointSizes(flink: FlinkJobs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const jobs = (await flink.jobManager.jobs()).filter((j) => j.state === 'RUNNING');
  for (const job of jobs) {
    const stats = await flink.jobManager.checkpoints(job.jid).catch(() => undefined);
    const size = stats?.latest.completed?.state_size;
    if (size !== undefined) out[job.name] = size;
  }
  return out;
}

/** The stack writer's lag over its changelog topics. */
async function writerLag(admin: Admin, config: FstoreConfig): Promise<number> {
  const topics = STREAM_FEATURES.map(
    (f) => `${config.writer.topicNamespace}${FEATURE_TOPIC_PREFIX}${f.name}`,
  );
  const ends = (
    await Promise.all(
      topics.map(async (topic) =>
        (await admin.fetchTopicOffsets(topic)).map((o) => ({ topic, ...o })),
      ),
    )
  ).flat();
  const committed = (await admin.fetchOffsets({ groupId: config.writer.groupId, topics })).flatMap(
    (t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
  );
  return groupLag(ends, committed);
}

/** What the load has done so far (shared by the producer, the reader and the sampler). */
interface Counters {
  produced: number;
  redelivered: number;
  reads: number;
  readErrors: Record<string, number>;
}

/** Produces `eventsPerSecond` until `end`; keeps the events the final check needs in `kept`. */
async function produceLoad(
  producer: EventProducer,
  shape: SoakShape,
  o: Options,
  end: number,
  counters: Counters,
  kept: OracleEvent[],
  stopped: () => boolean,
): Promise<void> {
  const ring: { message: { key: string; value: string }; event: OracleEvent }[] = [];
  const start = Date.now();
  let i = 0;
  while (Date.now() < end && !stopped()) {
    const now = Date.now();
    const due = dueBy(now - start, o.eventsPerSecond);
    const messages: { key: string; value: string }[] = [];
    for (; i < due; i++) {
      const event = soakEvent(shape, i, now);
      const message = wireMessage(event);
      ring[i % (REDELIVERY_LAG + 1)] = { message, event };
      messages.push(message);
      if (isChecked(shape, event)) kept.push(event);
      const again = redeliveryOf(i, o.redeliveries, REDELIVERY_LAG);
      if (again !== undefined) {
        const old = ring[again % (REDELIVERY_LAG + 1)];
        messages.push(old.message);
        if (isChecked(shape, old.event)) kept.push(old.event);
        counters.redelivered++;
      }
    }
    await producer.send(TOPICS.transactions, messages);
    counters.produced = i;
    await sleep(TICK_MS);
  }
}

/** Single GETs through nginx at `readsPerSecond` until `end`, failures counted by status. */
async function readLoad(
  url: string,
  token: () => string,
  shape: SoakShape,
  o: Options,
  end: number,
  counters: Counters,
  stopped: () => boolean,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const fail = (why: string) => (counters.readErrors[why] = (counters.readErrors[why] ?? 0) + 1);
  let inFlight = 0;
  let issued = 0;
  const readOne = (n: number) =>
    new Promise<void>((resolve) => {
      const id = `${shape.prefix}c${n % shape.customers}`;
      const req = request(
        `${url}/v1/features/customer/${encodeURIComponent(id)}?names=${READ_FEATURE}`,
        { agent, headers: { authorization: `Bearer ${token()}` }, timeout: 10000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) counters.reads++;
            else fail(String(status));
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        fail('socket');
        resolve();
      });
      req.end();
    });
  const start = Date.now();
  const pending = new Set<Promise<void>>();
  while (Date.now() < end && !stopped()) {
    const due = dueBy(Date.now() - start, o.readsPerSecond);
    for (; issued < due && inFlight < MAX_IN_FLIGHT; issued++) {
      inFlight++;
      const p = readOne(issued).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(TICK_MS);
  }
  await Promise.all(pending);
  agent.destroy();
}

interface Env {
  config: FstoreConfig;
  paths: StackPaths;
  flink: FlinkJobs;
  admin: Admin;
  store: RedisClusterOnlineStore;
}

async function sample(env: Env, seconds: number, c: Counters): Promise<Sample> {
  const [redisUsedMemory, redisKeys, checkpointBytes, lag] = await Promise.all([
    usedMemory(env.store),
    keyCount(env.store),
    checkpointSizes(env.flink).catch((e: Error) => {
      log(`!! Flink checkpoints: ${e.message}`);
      return {};
    }),
    writerLag(env.admin, env.config).catch((e: Error) => {
      log(`!! writer lag: ${e.message}`);
      return undefined;
    }),
  ]);
  return {
    seconds: Math.round(seconds),
    produced: c.produced,
    redelivered: c.redelivered,
    reads: c.reads,
    readErrors: { ...c.readErrors },
    rssBytes: stackRss(env.paths),
    redisUsedMemory,
    redisKeys,
    checkpointBytes,
    writerLag: lag,
  };
}

/** The expected keys' values in Redis. */
async function redisValues(store: RedisClusterOnlineStore, keys: string[]) {
  const values = await Promise.all(keys.map((k) => store.client.get(k)));
  return new Map(keys.map((k, i) => [k, values[i]]));
}

/**
 * Waits until Redis holds the reference's values, or the writer has no lag and the comparison has
 * not changed for three polls (a real difference), or DRAIN_MS; returns the last comparison.
 */
async function drainAndCompare(env: Env, events: OracleEvent[], shape: SoakShape) {
  const expected = referenceValues(events, checkedIds(shape));
  log(`reference: ${expected.size} values over ${events.length} kept events`);
  const deadline = Date.now() + DRAIN_MS;
  let last = '';
  let same = 0;
  for (;;) {
    const c: Comparison = compareValues(
      expected,
      await redisValues(env.store, [...expected.keys()]),
    );
    if (c.mismatches.length === 0) return c;
    const lag = await writerLag(env.admin, env.config).catch(() => undefined);
    const now = JSON.stringify(c.mismatches);
    same = now === last ? same + 1 : 0;
    last = now;
    if ((lag === 0 && same >= 3) || Date.now() > deadline) return c;
    log(
      `draining: ${c.mismatches.length} of ${c.compared} values not there yet, writer lag ${lag ?? '-'}`,
    );
    await sleep(2000);
  }
}

async function bringUp(): Promise<void> {
  const ctx = stackContext(log);
  try {
    log('bringing up the pipeline (fstore pipeline up), serving and monitoring');
    // A deployment the control plane still holds as live while Flink lost its job (VANISHED)
    // would make a soak with nothing processed: say so instead.
    const idle = (await pipelineUp(ctx)).filter((job) => job.state !== 'RUNNING');
    if (idle.length > 0) {
      throw new Error(
        idle.map((job) => `${job.job} is ${job.state} (${job.detail ?? ''})`).join('; '),
      );
    }
    await stackUp(ctx, ['serving', 'monitoring']);
  } catch (e) {
    throw new BenchError(
      `could not bring up the stack: ${e instanceof Error ? e.message : String(e)}\n` +
        '  run: npx fstore pipeline up && npx fstore stack up serving monitoring',
    );
  }
}

async function main(): Promise<void> {
  const o = options();
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  await bringUp();
  const config = loadConfig();
  const paths = new StackPaths(config.stackDir);
  const run = randomUUID().slice(0, 6);
  const shape: SoakShape = {
    prefix: `soak${run}-`,
    customers: o.customers,
    products: o.products,
    categories: CATEGORIES,
    checkCustomers: CHECK_CUSTOMERS,
    checkProducts: CHECK_PRODUCTS,
  };
  log(
    `run ${run}: ${o.minutes} min, ${o.eventsPerSecond} events/s (${o.redeliveries * 100} % ` +
      `redelivered) over ${o.customers} customers × ${o.products} products, ${o.readsPerSecond} ` +
      `reads/s, a sample every ${o.sampleSeconds} s; load average ${load()}`,
  );

  const kafka = new Kafka({
    ...kafkaClientConfig(config, 'fstore-admin'),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin', {
    commandTimeoutMs: 15000,
  });
  const env: Env = { config, paths, flink: FlinkJobs.fromConfig(config), admin, store };
  const cleanups = new Cleanups(log);
  cleanups.runOnSignals();
  cleanups.add('close the clients', async () => {
    await admin.disconnect().catch(() => undefined);
    await store.close().catch(() => undefined);
  });

  const samples: Sample[] = [];
  const counters: Counters = { produced: 0, redelivered: 0, reads: 0, readErrors: {} };
  let comparison: Comparison | undefined;
  try {
    const producer = await EventProducer.connect(config, 'fstore-admin', `bench-soak-${run}`);
    cleanups.add('close the producer', () => producer.close());
    await admin.connect();
    cleanups.add('delete the Redis keys', async () => {
      log(`deleted ${await deleteEntityKeys(store, shape.prefix)} Redis keys of run ${run}`);
    });
    cleanups.add('remove the reader user', () => removeUser(config, SOAK_USER));
    const { client, token: first } = await createUserAndLogin(
      config,
      config.serving.url,
      SOAK_USER,
    );
    let token = first;
    log(`logged in through nginx (${config.serving.url}) as ${SOAK_USER} (reader)`);

    const start = Date.now();
    const end = start + o.minutes * 60000;
    const kept: OracleEvent[] = [];
    let readStart = end;
    samples.push(await sample(env, 0, counters));
    log(progressLine(samples[0]));
    // Renew the access token well before it expires (the run outlasts it).
    const renew = setInterval(
      () =>
        void client.refresh().then(
          (t) => (token = t.access_token),
          (e: Error) => log(`!! token refresh: ${e.message}`),
        ),
      (config.auth.accessTtlSeconds * 1000) / 2,
    );
    cleanups.add('stop renewing the token', async () => clearInterval(renew));
    const producing = produceLoad(
      producer,
      shape,
      o,
      end,
      counters,
      kept,
      () => cleanups.interrupted,
    );
    const reading = (async () => {
      // Every customer's first value, not only the last one's: the writer applies partitions
      // side by side, so the last customer's key can be there before an earlier one's.
      const unseen = new Set(
        Array.from({ length: o.customers }, (_, i) =>
          featureKey(READ_FEATURE, [`${shape.prefix}c${i}`]),
        ),
      );
      const waitUntil = Math.min(end, Date.now() + READ_WAIT_MS);
      while (Date.now() < waitUntil && !cleanups.interrupted && unseen.size > 0) {
        const keys = [...unseen];
        for (let i = 0; i < keys.length; i += 500) {
          const chunk = keys.slice(i, i + 500);
          const found = await Promise.all(chunk.map((k) => store.client.exists(k)));
          chunk.forEach((k, j) => found[j] === 1 && unseen.delete(k));
        }
        if (unseen.size > 0) await sleep(500);
      }
      if (unseen.size > 0) log(`!! ${unseen.size} customers still have no value; reading anyway`);
      readStart = Date.now();
      log(
        `reading from now on (${((readStart - start) / 1000).toFixed(1)} s after the first event)`,
      );
      await readLoad(
        config.serving.url,
        () => token,
        shape,
        o,
        end,
        counters,
        () => cleanups.interrupted,
      );
    })();
    const sampling = (async () => {
      for (let n = 1; ; n++) {
        const at = start + n * o.sampleSeconds * 1000;
        if (at > end || cleanups.interrupted) break;
        await sleep(at - Date.now());
        samples.push(await sample(env, (Date.now() - start) / 1000, counters));
        log(progressLine(samples[samples.length - 1]));
      }
    })();
    await Promise.all([producing, reading, sampling]);
    clearInterval(renew);
    const seconds = (Date.now() - start) / 1000;
    if (samples[samples.length - 1].seconds < Math.round(seconds)) {
      samples.push(await sample(env, seconds, counters));
      log(progressLine(samples[samples.length - 1]));
    }
    log(
      `load done: ${counters.produced} events (${(counters.produced / seconds).toFixed(0)}/s) ` +
        `+ ${counters.redelivered} redelivered, ${counters.reads} reads ` +
        `(${(counters.reads / Math.max(1, (Date.now() - readStart) / 1000)).toFixed(0)}/s); ` +
        `waiting for the pipeline to drain (at most ${DRAIN_MS / 1000} s)`,
    );
    comparison = await drainAndCompare(env, kept, shape);
  } finally {
    await cleanups.runAll();
  }

  const rows = verdicts(samples);
  const failedReads = Object.values(counters.readErrors).reduce((a, b) => a + b, 0);
  console.log(`\n${formatSamples(samples)}\n\n${formatVerdicts(rows)}\n`);
  const memoryPerKeys = memoryPerThousandKeys(samples);
  console.log(formatMemoryPerKeys(memoryPerKeys));
  console.log(formatComparison(comparison));
  console.log(
    `reads: ${counters.reads} answered, ${failedReads} failed` +
      (failedReads > 0 ? ` (${JSON.stringify(counters.readErrors)})` : ''),
  );
  const dir = join(config.stackDir, 'data', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'soak-result.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        options: o,
        run,
        loadAverage: load(),
        samples,
        verdicts: rows,
        memoryPerKeys,
        comparison: {
          compared: comparison.compared,
          mismatches: comparison.mismatches.length,
          first: comparison.mismatches.slice(0, 20),
        },
      },
      null,
      2,
    ) + '\n',
  );
  log(`figures written to ${file}`);
  const failing = rows.filter((r) => !holdsUp(r.flatness));
  if (o.check && (failing.length > 0 || failedReads > 0 || comparison.mismatches.length > 0)) {
    console.error(
      `--check: ${failing.length} series growing or without a verdict ` +
        `(${failing.map((r) => `${r.series}: ${r.flatness.verdict}`).join(', ')}), ` +
        `${failedReads} failed reads, ${comparison.mismatches.length} values differ`,
    );
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(`\nbench:soak FAILED: ${e instanceof Error ? e.message : String(e)}`);
    if (!(e instanceof BenchError) && e instanceof Error) console.error(e.stack);
    process.exit(1);
  },
);
