/**
 * End-to-end freshness of the stream features (issues 6, 14 and 15): the time from an event produced
 * to Kafka until its feature is visible in Redis, through Flink and a feature writer, for the
 * generated job (one statement-set job per source, `flink-sql/transactions.sql`) beside the four
 * hand-written per-feature jobs it replaced (`flink-sql/<feature>.sql`), in the same run.
 *
 *   npm run bench:freshness [-- --rates 1000,2500,5000 --seconds 20 --warmup 5 --rounds 1
 *                              --variants handwritten,generated-seed,generated --submit plan
 *                              --cpu-prof DIR]
 *
 * Each variant runs on its own topics (a private input topic, private changelog topics, its own
 * consumer groups and its own feature writer process), one after the other at the same rates; the
 * stack's own `features-transactions` deployment is left alone (it reads ecommerce.transactions).
 * Per rate it produces events stamped with the current time for the given seconds; 50 events a
 * second (every rate/50th) belong to a customer of its own each, so its `last_purchase_amount`
 * key appears exactly when that event has gone through Flink and the writer. It watches those
 * keys every 10 ms and records each one's delay, and reads the TaskManager JVMs' CPU
 * (/proc/<pid>/stat, all FSTORE_FLINK_TASKMANAGERS of them) over the interval; it logs the jobs'
 * parallelism and the slots each TaskManager gives them.
 * Where the delay goes (producer, Flink, writer) it splits by the records' append times
 * (bench/freshness/stages.ts); per round it also prints how late the writer's event loop and its
 * own ran (p99/max), since both are on that path.
 * Afterwards the variant's jobs are cancelled and its topics, consumer groups and Redis keys
 * deleted (also on failure or Ctrl-C). Figures: <stack>/data/bench/freshness-result.json. With
 * `--cpu-prof DIR` each variant's feature writer writes its V8 CPU profile there when it stops.
 * Jobs are submitted as the control plane submits them (`--submit plan`: COMPILE PLAN, the dedupe
 * TTL, EXECUTE PLAN); `--submit statement` runs the job statement as written, to compare the two.
 */
import { randomUUID } from 'crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { cpus, loadavg } from 'os';
import { join } from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { FstoreConfig, kafkaClientConfig, loadConfig, PROJECT_ROOT } from '@fstore/config';
import { featureKey, FEATURE_TOPIC_PREFIX, REGISTRY, STREAM_FEATURES } from '@fstore/contracts';
import { compileStreamJobs } from '@fstore/definitions';
import { FlinkJobs } from '@fstore/flink';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { flinkTaskManagers } from '../apps/cli/src/stack/flink';
import { runningPid, StackPaths } from '../apps/cli/src/stack/processes';
import { startWriterProcess, stopWriterProcess } from '../test/support/writer-process';
import { Cleanups } from './cleanups';
import { EventProducer } from './event-producer';
import { deleteEntityKeys } from './redis';
import { CpuMeter, machineTicks, runningPids, ThreadMeter } from './serving/cpu';
import {
  comparedGenerated,
  cpuPerThousand,
  formatReport,
  formatCores,
  formatStages,
  formatThreads,
  compare,
  percentile,
  RateResult,
  Variant,
  VARIANT_LABEL,
  VARIANTS,
  VariantResult,
} from './freshness/report';
import { AppendTimes, APPEND_TIME, SampleTimes, stageLatencies } from './freshness/stages';
import {
  batchTimesBetween,
  countersBetween,
  formatBatchTimes,
  formatLoopDelay,
  formatWriterCounters,
  loopDelayOf,
  readWriterMetrics,
} from './writer-counters';
import { utc, wireMessage } from './soak/load';

/** The four seed features: what the hand-written jobs compute (stream, no windows). */
const SEED = new Set(STREAM_FEATURES.filter((f) => !f.tiles).map((f) => f.name));

/**
 * Sampled events a second, whatever the rate: the watch of Redis costs CPU per sampled key still
 * pending, every TICK_MS, on the same two cores as the pipeline it measures. Sampling every 20th
 * event made that cost grow with the rate and with the delay itself (at 2,000 events/s and 8 s
 * behind, 1,600 keys pending: 160,000 EXISTS a second), which fed the delay it measured.
 */
const SAMPLES_PER_SECOND = 50;
/** Every how many events one is sampled at `rate` events/s. */
const sampleEvery = (rate: number) => Math.max(1, Math.round(rate / SAMPLES_PER_SECOND));
/** The time-window feature whose freshness is measured beside last_purchase_amount's. */
const WINDOW_FEATURE = 'purchases_1h';
const TICK_MS = 10;
/** How long after the last event produced a sampled key may still arrive. */
const STRAGGLER_MS = 30000;
const IDLE_SECONDS = 5;
/** The machine's cores: what `cores busy` is out of. */
const CORES = cpus().length;
/**
 * The TaskManager's busiest thread kinds printed per round: its task threads (one per operator
 * chain), RocksDB's flushes and compactions, GC and the JIT; which of them a slow round's extra
 * CPU went to.
 */
const TOP_THREADS = 6;

const t0 = Date.now();
const log = (m: string) =>
  console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${m}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class BenchError extends Error {}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** One event; ids are the variant's own (`entity` prefix), so its Redis keys are too. */
function event(entity: string, run: string, i: number, now: number, sampled: boolean) {
  const customer = sampled ? `${entity}fresh-${run}-${i}` : `${entity}c${i % 5000}`;
  return wireMessage({
    event_id: `${entity}${run}-${i}`,
    customer_id: customer,
    product_id: `${entity}p${i % 2000}`,
    category: `${entity}cat${i % 8}`,
    price: 10 + (i % 90),
    quantity: 1 + (i % 3),
    transaction_date: utc(now),
    review_rating: i % 4 === 0 ? null : 1 + (i % 5),
  });
}

interface Env {
  config: FstoreConfig;
  flink: FlinkJobs;
  kafka: Kafka;
  admin: Admin;
  store: RedisClusterOnlineStore;
  /**
   * The watch's own client: auto-pipelined, so a tick's EXISTS go to each master as one write
   * instead of one write each.
   */
  watch: RedisClusterOnlineStore;
  taskManagerPids: number[];
  /** The stack's other processes a run loads, by group (Kafka, Redis, Flink's others). */
  stackPids: Record<string, number[]>;
  rates: number[];
  /** How many times the rates are measured in turn, after the one warm-up. */
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  /** Where the writer's V8 CPU profile goes (--cpu-prof); none: not profiled. */
  writerProfileDir: string;
}

/** The variant's Flink jobs: script, name and placeholder values, on its private topics. */
function jobsOf(variant: Variant, id: string, tx: string, featurePrefix: string) {
  if (variant !== 'handwritten') {
    // generated-seed: the compiler on the hand-written jobs' four features, for a like-for-like
    // CPU comparison of one shared source against four separate ones.
    const registry =
      variant === 'generated'
        ? REGISTRY
        : { ...REGISTRY, features: REGISTRY.features.filter((f) => SEED.has(f.name)) };
    return compileStreamJobs(registry).map((job) => ({
      sql: job.sql,
      jobName: `bench-fresh ${job.jobName} ${id}`,
      values: {
        TRANSACTIONS_TOPIC: tx,
        FEATURE_TOPIC_PREFIX: featurePrefix,
        CONSUMER_GROUP: `bench-fresh-${id}-${job.source}`,
      },
    }));
  }
  // The hand-written jobs that the generated one replaced: the four seed features (no windows).
  return STREAM_FEATURES.filter((f) => SEED.has(f.name)).map((f) => ({
    sql: readFileSync(join(PROJECT_ROOT, 'flink-sql', `${f.name}.sql`), 'utf8'),
    jobName: `bench-fresh ${f.name} ${id}`,
    values: {
      TRANSACTIONS_TOPIC: tx,
      FEATURE_TOPIC: `${featurePrefix}${f.name}`,
      CONSUMER_GROUP: `bench-fresh-${id}-${f.name}`,
    },
  }));
}

async function otherRunningJobs(flink: FlinkJobs, mine: Set<string>): Promise<number> {
  const jobs = await flink.jobManager.jobs().catch(() => []);
  return jobs.filter((j) => j.state === 'RUNNING' && !mine.has(j.jid)).length;
}

/** Produces at `rate` for `seconds` and waits until every sampled event is visible (or 30 s). */
async function measure(
  env: Env,
  producer: EventProducer,
  topic: string,
  entity: string,
  rate: number,
  seconds: number,
  meter: CpuMeter,
  idleMicrosPerSecond: number | undefined,
  mine: Set<string>,
  windowed: boolean,
  appendTimes: AppendTimes,
): Promise<Omit<RateResult, 'round'>> {
  const run = randomUUID().slice(0, 6);
  const every = sampleEvery(rate);
  const pending = new Map<string, number>(); // key → produced at
  // Per sampled last_purchase_amount key: its customer, when produced and when visible.
  const sampledTimes = new Map<string, SampleTimes & { customer: string }>();
  const delays: number[] = [];
  // The sampled customers' `purchases_1h` hash appears when the event's tile is written.
  const windowDelays: number[] = [];
  let produced = 0;
  let otherJobs = await otherRunningJobs(env.flink, mine);
  const stopCpu = meter.start();
  const stopThreads = new ThreadMeter(env.taskManagerPids).start();
  const machineBefore = machineTicks();
  const start = Date.now();
  const end = start + seconds * 1000;
  let producing = true;
  const poller = (async () => {
    while (producing || pending.size > 0) {
      const keys = [...pending.keys()];
      if (keys.length > 0) {
        const found = await Promise.all(keys.map((k) => env.watch.client.exists(k)));
        const now = Date.now();
        keys.forEach((k, i) => {
          if (found[i] === 1) {
            (k.startsWith(WINDOW_FEATURE) ? windowDelays : delays).push(now - pending.get(k)!);
            const times = sampledTimes.get(k);
            if (times) times.visibleAt = now;
            pending.delete(k);
          }
        });
      }
      if (!producing && Date.now() > end + STRAGGLER_MS) break; // give up on stragglers
      await sleep(TICK_MS);
    }
  })();
  try {
    // Produce in 10 ms slices so that the rate is steady, not bursty.
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate);
      const messages = [];
      const now = Date.now();
      for (; produced < due; produced++) {
        const sampled = produced % every === 0;
        const m = event(entity, run, produced, now, sampled);
        if (sampled) {
          const key = featureKey('last_purchase_amount', [m.key]);
          pending.set(key, now);
          sampledTimes.set(key, { customer: m.key, producedAt: now });
        }
        if (sampled && windowed) pending.set(featureKey(WINDOW_FEATURE, [m.key]), now);
        messages.push(m);
      }
      await producer.send(topic, messages);
      await sleep(TICK_MS);
    }
  } finally {
    producing = false;
  }
  const achievedRate = produced / ((Date.now() - start) / 1000);
  await poller;
  const cpu = stopCpu(1); // µs of CPU per group over the interval
  const taskManagerThreads = stopThreads().slice(0, TOP_THREADS);
  const machineAfter = machineTicks();
  const busyFor = (Date.now() - start) * 1000; // µs
  const sampled = [...sampledTimes.values()];
  await appendTimes.waitFor(
    sampled.filter((s) => s.visibleAt !== undefined).map((s) => s.customer),
    10000,
  );
  const samples: SampleTimes[] = sampled.map((s) => ({
    ...s,
    rawAppendedAt: appendTimes.raw.get(s.customer),
    changelogAppendedAt: appendTimes.changelog.get(s.customer),
  }));
  const elapsed = (Date.now() - start) / 1000;
  otherJobs = Math.max(otherJobs, await otherRunningJobs(env.flink, mine));
  const sorted = delays.sort((a, b) => a - b);
  const windowSorted = windowDelays.sort((a, b) => a - b);
  const tm = cpuPerThousand(cpu.taskmanager, produced, elapsed, idleMicrosPerSecond);
  return {
    rate,
    produced,
    achievedRate,
    sampled: Math.ceil(produced / every),
    seen: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    window: windowed
      ? {
          seen: windowSorted.length,
          p50: percentile(windowSorted, 50),
          p99: percentile(windowSorted, 99),
        }
      : undefined,
    seconds: elapsed,
    tmCpuMsPer1000: tm.grossMs,
    tmNetCpuMsPer1000: tm.netMs,
    writerCpuMsPer1000: cpuPerThousand(cpu.writer, produced, elapsed).grossMs,
    otherJobs,
    stages: stageLatencies(samples),
    taskManagerThreads,
    cores: {
      machine:
        ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) *
        CORES,
      of: CORES,
      groups: Object.fromEntries(Object.entries(cpu).map(([g, us]) => [g, us / busyFor])),
    },
  };
}

/**
 * The jobs' parallelism (the largest of their vertices') and the slots each TaskManager has given
 * out (every running job's, the stack's own included): with several TaskManagers, whether the
 * work spread over them.
 */
async function placement(flink: FlinkJobs, jobs: Set<string>): Promise<string> {
  const parallelism = await Promise.all(
    [...jobs].map(async (j) =>
      Math.max(...(await flink.jobManager.job(j)).vertices.map((v) => v.parallelism)),
    ),
  );
  const tms = await flink.jobManager.taskManagers();
  const used = tms.map((t) => `${t.slotsNumber - t.freeSlots}/${t.slotsNumber}`);
  return `parallelism ${parallelism.join(', ')}; ${tms.length} TaskManager(s), slots used ${used.join(', ')}`;
}

/** Kafka, the Redis nodes and Flink's JobManager and SQL Gateway, those of them that run. */
function stackPidsOf(paths: StackPaths, config: FstoreConfig): Record<string, number[]> {
  return {
    kafka: runningPids(paths, ['kafka']),
    redis: runningPids(
      paths,
      config.redis.clusterPorts.map((p) => `redis-${p}`),
    ),
    'flink-others': runningPids(paths, ['jobmanager', 'sql-gateway']),
  };
}

async function runVariant(env: Env, variant: Variant, cleanups: Cleanups): Promise<VariantResult> {
  const id = randomUUID().slice(0, 8);
  const base = `bench.fresh.${id}.`;
  const tx = `${base}transactions`;
  const featurePrefix = `${base}${FEATURE_TOPIC_PREFIX}`;
  const dlq = `${base}writer-dlq`;
  const entity = `bf${id}-`;
  const writerGroup = `bench-fresh-${id}-writer`;
  const stagesGroup = `bench-fresh-${id}-stages`;
  const jobs = jobsOf(variant, id, tx, featurePrefix);
  log(`${VARIANT_LABEL[variant]}: run ${id}, topics ${base}*`);

  const { partitions, changelogPartitions } = env.config.kafka;
  cleanups.add('delete topics and consumer groups', async () => {
    const topics = (await env.admin.listTopics()).filter((t) => t.startsWith(base));
    if (topics.length > 0) await env.admin.deleteTopics({ topics });
    const groups = [writerGroup, stagesGroup, ...jobs.map((j) => j.values.CONSUMER_GROUP)];
    await env.admin.deleteGroups(groups).catch(() => undefined); // groups never committed: none
    log(`  deleted ${topics.length} topics and the consumer groups of run ${id}`);
  });
  await env.admin.createTopics({
    waitForLeaders: true,
    topics: [
      // Append times on the records: where the delay goes (bench/freshness/stages.ts).
      { topic: tx, numPartitions: partitions, configEntries: APPEND_TIME },
      { topic: dlq, numPartitions: 1 },
      ...STREAM_FEATURES.map((f) => ({
        topic: `${featurePrefix}${f.name}`,
        numPartitions: changelogPartitions,
        configEntries: APPEND_TIME,
      })),
    ],
  });

  // A producer of its own: a client keeps refreshing the metadata of every topic it has sent
  // to, and the previous variant's topics are gone.
  const producer = await EventProducer.connect(env.config, 'fstore-admin', `bench-fresh-${id}`);
  cleanups.add('close the producer', () => producer.close());

  const mine = new Set<string>();
  cleanups.add('cancel the jobs', async () => {
    await Promise.all([...mine].map((j) => env.flink.cancel(j).catch(() => undefined)));
    if (mine.size > 0) log(`  cancelled ${mine.size} Flink job(s)`);
  });
  for (const job of jobs) {
    log(`  submitting ${job.jobName}`);
    const jobId = await env.flink.submitScript(job.sql, {
      jobName: job.jobName,
      values: job.values,
    });
    mine.add(jobId);
  }
  for (const jobId of mine) await env.flink.waitUntilRunning(jobId, 120000);
  log(`  ${mine.size} job(s) running; ${await placement(env.flink, mine)}`);

  cleanups.add('delete the Redis keys', async () => {
    const n = await deleteEntityKeys(env.store, entity);
    log(`  deleted ${n} Redis keys of run ${id}`);
  });
  const writer = await startWriterProcess({
    group: writerGroup,
    topicNamespace: base,
    deadLetterTopic: dlq,
    nodeOptions: env.writerProfileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${env.writerProfileDir}`]
      : [],
  }).catch((e: Error) => {
    throw new BenchError(e.message);
  });
  cleanups.add('stop the writer', () => stopWriterProcess(writer));
  log(`  feature writer running (pid ${writer.pid})`);
  const meter = new CpuMeter({
    taskmanager: env.taskManagerPids,
    writer: [writer.pid!],
    ...env.stackPids,
    bench: [process.pid],
  });
  const appendTimes = new AppendTimes(
    env.kafka,
    stagesGroup,
    tx,
    `${featurePrefix}last_purchase_amount`,
  );
  cleanups.add('stop the append-time reader', () => appendTimes.stop());
  await appendTimes.start();

  if (env.warmupSeconds > 0) {
    log(`  warm-up: ${env.rates[0]} events/s for ${env.warmupSeconds} s (not counted)`);
    const w = await measure(
      env,
      producer,
      tx,
      entity,
      env.rates[0],
      env.warmupSeconds,
      meter,
      undefined,
      mine,
      variant === 'generated',
      appendTimes,
    );
    log(`  warm-up: ${w.seen}/${w.sampled} seen, p99 ${w.p99} ms`);
  }
  await sleep(2000);
  const stopIdle = meter.start();
  const idleStart = Date.now();
  await sleep(IDLE_SECONDS * 1000);
  const idleMicrosPerSecond = stopIdle(1).taskmanager / ((Date.now() - idleStart) / 1000);
  log(`  TaskManager idle: ${(idleMicrosPerSecond / 1000).toFixed(1)} ms CPU/s`);

  const rates: RateResult[] = [];
  const benchLoop = monitorEventLoopDelay({ resolution: 10 });
  benchLoop.enable();
  cleanups.add('stop watching the event loop', async () => benchLoop.disable());
  for (let round = 1; round <= env.rounds; round++) {
    for (const rate of env.rates) {
      const which = env.rounds > 1 ? `round ${round}/${env.rounds}: ` : '';
      log(`  ${which}${rate} events/s for ${env.seconds} s … (load average ${load()})`);
      const before = await readWriterMetrics(writer.metricsUrl);
      benchLoop.reset();
      const measured = await measure(
        env,
        producer,
        tx,
        entity,
        rate,
        env.seconds,
        meter,
        idleMicrosPerSecond,
        mine,
        variant === 'generated',
        appendTimes,
      );
      const r: RateResult = { ...measured, round, benchLoopDelay: loopDelayOf(benchLoop) };
      const after = await readWriterMetrics(writer.metricsUrl);
      r.writerCounters = countersBetween(before.counters, after.counters);
      r.writerBatches = {
        ...batchTimesBetween(before.batches, after.batches),
        loopDelay: after.loopDelay,
      };
      log(
        `  produced ${r.produced} (${r.achievedRate.toFixed(0)}/s), ${r.seen}/${r.sampled} seen, ` +
          `p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms` +
          (r.window ? ` (window: ${r.window.seen} seen, p99 ${r.window.p99} ms)` : '') +
          `; p50/p99 ms by stage: ${formatStages(r.stages)}` +
          ` (${formatBatchTimes(r.writerBatches)}; the bench's loop late ${formatLoopDelay(r.benchLoopDelay)} ms)` +
          `; cores busy ${formatCores(r.cores)}` +
          '; TaskManager ' +
          `${r.tmCpuMsPer1000.toFixed(1)} ms CPU per 1,000 events ` +
          `(net of idle ${r.tmNetCpuMsPer1000?.toFixed(1)}), writer ${r.writerCpuMsPer1000.toFixed(1)}` +
          `; writer ${formatWriterCounters(r.writerCounters, r.produced)}` +
          `; TaskManager threads (cores): ${formatThreads(r.taskManagerThreads)}` +
          (r.otherJobs > 0 ? `; ${r.otherJobs} other Flink job(s) running` : ''),
      );
      rates.push(r);
    }
  }
  return { variant, jobs: mine.size, idleMicrosPerSecond, rates };
}

async function main(): Promise<void> {
  const rates = arg('rates', '1000,2500,5000').split(',').map(Number);
  const rounds = Number(arg('rounds', '1'));
  const seconds = Number(arg('seconds', '20'));
  const warmupSeconds = Number(arg('warmup', '5'));
  const variants = arg('variants', VARIANTS.join(',')).split(',') as Variant[];
  // plan: as the control plane submits (COMPILE PLAN, the dedupe TTL, EXECUTE PLAN); statement:
  // the job statement as written (no dedupe TTL), to tell the two paths' cost apart.
  const submit = arg('submit', 'plan');
  if (submit !== 'plan' && submit !== 'statement') {
    throw new BenchError('--submit takes plan or statement');
  }
  if (
    rates.some((r) => !(r > 0)) ||
    !(seconds > 0) ||
    !(warmupSeconds >= 0) ||
    !(Number.isInteger(rounds) && rounds >= 1)
  ) {
    throw new BenchError(
      '--rates takes positive numbers, --seconds > 0, --warmup ≥ 0, --rounds a whole number ≥ 1',
    );
  }
  if (variants.some((v) => !VARIANTS.includes(v))) {
    throw new BenchError(`--variants takes some of ${VARIANTS.join(', ')}`);
  }
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'; // here and in the writer it starts
  const config = loadConfig();
  const paths = new StackPaths(config.stackDir);
  const taskManagers = flinkTaskManagers(config);
  const taskManagerPids = taskManagers.map((p) => runningPid(paths, p.name));
  if (taskManagerPids.some((pid) => pid === undefined)) {
    throw new BenchError(
      `not every Flink TaskManager of the stack in ${config.stackDir} runs (${taskManagers.map((p) => p.name).join(', ')}; npx fstore stack up flink)`,
    );
  }
  log(
    `stack ${config.stackDir}: TaskManager pid(s) ${taskManagerPids.join(', ')}, parallelism.default ${config.flink.parallelism}; rates ${rates.join(', ')} × ` +
      `${seconds} s${rounds > 1 ? `, ${rounds} rounds,` : ''} per variant (${variants.join(', ')}) submitted as ` +
      `${submit === 'plan' ? 'compiled plans' : 'statements'}; load average ${load()}`,
  );

  const kafka = new Kafka({
    ...kafkaClientConfig(config, 'fstore-admin'),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin', {
    commandTimeoutMs: 15000,
  });
  const watch = RedisClusterOnlineStore.fromConfig(
    config,
    'fstore-admin',
    { commandTimeoutMs: 15000 },
    { enableAutoPipelining: true },
  );
  const cleanups = new Cleanups(log);
  cleanups.runOnSignals();

  const env: Env = {
    config,
    flink: FlinkJobs.fromConfig(config, { compiledPlans: submit === 'plan' }),
    kafka,
    admin,
    store,
    watch,
    taskManagerPids: taskManagerPids as number[],
    stackPids: stackPidsOf(paths, config),
    rates,
    rounds,
    seconds,
    warmupSeconds,
    writerProfileDir: arg('cpu-prof', ''),
  };
  const results: VariantResult[] = [];
  try {
    await admin.connect();
    for (const variant of variants) {
      try {
        results.push(await runVariant(env, variant, cleanups));
      } finally {
        await cleanups.runAll();
      }
    }
  } finally {
    await cleanups.runAll();
    await admin.disconnect().catch(() => undefined);
    await store.close().catch(() => undefined);
    await watch.close().catch(() => undefined);
  }

  const loadAverage = load();
  console.log(formatReport(results, seconds, loadAverage));
  const g = comparedGenerated(results);
  const h = results.find((v) => v.variant === 'handwritten');
  const dir = join(config.stackDir, 'data', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'freshness-result.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        rates,
        rounds,
        secondsPerRate: seconds,
        warmupSeconds,
        submittedAs: submit,
        samplesPerSecond: SAMPLES_PER_SECOND,
        loadAverage,
        variants: results,
        comparison: g && h ? compare(g, h) : undefined,
      },
      null,
      2,
    ) + '\n',
  );
  log(`figures written to ${file}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`\nbench:freshness FAILED: ${e instanceof Error ? e.message : String(e)}`);
    if (!(e instanceof BenchError) && e instanceof Error) console.error(e.stack);
    process.exit(1);
  },
);
