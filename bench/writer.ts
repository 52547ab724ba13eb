/**
 * Throughput of the feature writer (issues 15, 20, 21): how many changelog records per second
 * the stack's own writer program (`apps/feature-writer`) applies to Redis, beside what the same
 * machine does with the same records without it, in one run:
 *
 *   npm run bench:writer [-- --records 300000 --entities 5000 --batch 500 --cpu-prof DIR]
 *
 * It produces `records` changelog records (every stream feature in turn, plain values and
 * time-window tiles, `entities` entities each, event times over the last minutes) to changelog
 * topics of its own (`bench.writer.<run>.features.<feature>`, the stack's partition count), then:
 *  1. Kafka alone: a consumer reads them all and does nothing (the reading ceiling);
 *  2. Redis alone: the online store's own `writeAndWait` takes the same decoded writes in batches
 *     of `batch`, one at a time (the writing ceiling: no Kafka, no offsets);
 *  3. the writer: a writer process (its own consumer group) applies the backlog; the rate is
 *     taken from its committed offsets, sampled every 250 ms, from the first commit to the last.
 * For the writer it reads its CPU (/proc) and what it did with the records (its /metrics: written,
 * skipped as older, folded into a later record of the same key). Prints records/s of each and the
 * writer's ratio to each. Needs `fstore stack up core` (Kafka, Redis). Its topics,
 * consumer groups and Redis keys are deleted afterwards (also on failure or Ctrl-C). Figures:
 * <stack>/data/bench/writer-result.json; with `--cpu-prof DIR` the writer's V8 CPU profile too
 * (open it in Chrome's DevTools).
 */
import { randomUUID } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import { Kafka, logLevel } from 'kafkajs';
import { loadavg } from 'os';
import { join } from 'path';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { ENTITIES, FeatureDefinition, STREAM_FEATURES } from '@fstore/contracts';
import { RedisClusterOnlineStore, type FeatureWrite } from '@fstore/online-store';
import { decodeChangelog } from '../apps/feature-writer/src/changelog';
import { startWriterProcess, stopWriterProcess } from '../test/support/writer-process';
import { arg } from './args';
import { Cleanups } from './cleanups';
import { deleteEntityKeys } from './redis';
import { CpuMeter } from './serving/cpu';
import { utc } from './soak/load';
import { formatWriterCounters, readWriterCounters } from './writer-counters';

const log = (m: string) => console.error(`[bench:writer] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SAMPLE_MS = 250;
/** Messages per produce request. */
const PRODUCE_CHUNK = 5000;

function positive(name: string, fallback: string): number {
  const n = Number(arg(name, fallback));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** Record i of the backlog: feature i mod n, an entity of its own id space, a newer event time. */
function changelogRecord(
  feature: FeatureDefinition,
  entityPrefix: string,
  entity: number,
  eventTime: number,
  i: number,
): { key: string; value: string } {
  const key: Record<string, unknown> = {};
  for (const [j, column] of ENTITIES[feature.entity].keyColumns.entries()) {
    key[column] = `${entityPrefix}${j === 0 ? entity : entity % 97}`;
  }
  const value: Record<string, unknown> = { ...key, event_time: utc(eventTime) };
  if (feature.tiles) {
    const g = feature.tiles.granularityMs;
    key.tile_end = Math.ceil(eventTime / g) * g; // tiles are (end − g, end]
    Object.assign(value, { tile_end: key.tile_end, events: 1 + (i % 5) });
    if (feature.tiles.op !== 'count') value.agg = (i % 1000) + 0.5;
  } else {
    value.value = feature.type === 'int' ? i % 1000 : (i % 1000) + 0.25;
  }
  return { key: JSON.stringify(key), value: JSON.stringify(value) };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const records = positive('records', '300000');
  const entities = positive('entities', '5000');
  const batch = positive('batch', '500');
  const profileDir = arg('cpu-prof', '');
  const run = randomUUID().slice(0, 8);
  const namespace = `bench.writer.${run}.`;
  const entityPrefix = `bw${run}-`;
  const topicOf = (f: FeatureDefinition) => `${namespace}features.${f.name}`;
  const cleanups = new Cleanups(log);
  cleanups.runOnSignals();

  const kafka = new Kafka({
    ...kafkaClientConfig(config, 'fstore-admin'),
    clientId: 'bench-writer',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  cleanups.add('disconnect the Kafka admin', () => admin.disconnect());
  const topics = STREAM_FEATURES.map(topicOf);
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: config.kafka.changelogPartitions })),
    waitForLeaders: true,
  });
  const groups = [`bench-writer-${run}`, `bench-writer-read-${run}`];
  cleanups.add('delete the topics and groups', async () => {
    await admin.deleteTopics({ topics: [...topics, `${namespace}dlq`] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
  });
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
  cleanups.add('close the store', () => store.close());
  cleanups.add('delete the Redis keys', async () => {
    log(`deleted ${await deleteEntityKeys(store, entityPrefix)} Redis keys`);
  });

  try {
    // The backlog: event times one ms apart, ending now (every tile inside its window).
    log(`producing ${records} records over ${topics.length} changelog topics`);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const start = Date.now() - records;
    const writes: FeatureWrite[] = [];
    for (let from = 0; from < records; from += PRODUCE_CHUNK) {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (let i = from; i < Math.min(records, from + PRODUCE_CHUNK); i++) {
        const feature = STREAM_FEATURES[i % STREAM_FEATURES.length];
        const m = changelogRecord(feature, entityPrefix, (i * 7919) % entities, start + i, i);
        const messages = byTopic.get(topicOf(feature)) ?? [];
        if (messages.length === 0) byTopic.set(topicOf(feature), messages);
        messages.push(m);
        const decoded = decodeChangelog(feature, Buffer.from(m.key), Buffer.from(m.value));
        if (!decoded.ok) throw new Error(`record ${i} does not decode: ${decoded.message}`);
        writes.push(decoded.write);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    }
    await producer.disconnect();

    // 1. Kafka alone.
    const readSeconds = await readAll(kafka, groups[1], topics, records);
    log(`Kafka alone: ${records} records read in ${readSeconds.toFixed(1)} s`);

    // 2. Redis alone, the same writes in batches through the same store code.
    const t0 = Date.now();
    for (let i = 0; i < writes.length; i += batch) {
      await store.writeAndWait(writes.slice(i, i + batch), config.writer.replicaWait);
    }
    const redisSeconds = (Date.now() - t0) / 1000;
    log(`Redis alone: ${records} writes in ${redisSeconds.toFixed(1)} s`);
    // The writer must write them again, not find them all current.
    log(`cleared ${await deleteEntityKeys(store, entityPrefix)} keys`);

    // 3. The writer.
    const writer = await startWriterProcess({
      group: groups[0],
      topicNamespace: namespace,
      deadLetterTopic: `${namespace}dlq`,
      startTimeoutMs: 120000,
      nodeOptions: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    cleanups.add('stop the writer', () => stopWriterProcess(writer));
    const meter = new CpuMeter({ writer: [writer.pid!] });
    const stopMeter = meter.start();
    const progress = await followCommits(admin, groups[0], topics, records);
    const writerCpuMicros = stopMeter(records).writer;
    const counters = await readWriterCounters(writer.metricsUrl);
    const writerSeconds = progress.seconds;
    const result = {
      records,
      entities,
      features: STREAM_FEATURES.length,
      partitions: config.kafka.changelogPartitions,
      replica_wait: config.writer.replicaWait,
      load_average: loadavg()[0],
      kafka_read_per_s: records / readSeconds,
      redis_write_per_s: records / redisSeconds,
      writer_per_s: progress.committed / writerSeconds,
      writer_cpu_us_per_record: writerCpuMicros,
      writer_counters: counters,
    };
    const dir = join(config.stackDir, 'data', 'bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'writer-result.json'), JSON.stringify(result, null, 2) + '\n');
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `\n${fmt(records)} changelog records, ${STREAM_FEATURES.length} features, ` +
        `${config.kafka.changelogPartitions} partitions each, WAIT ${config.writer.replicaWait.replicas} ` +
        `replica(s); load average ${result.load_average.toFixed(1)}\n`,
    );
    console.log('| path | records/s | writer ÷ it |');
    console.log('|---|---|---|');
    console.log(
      `| Kafka alone (read, nothing done) | ${fmt(result.kafka_read_per_s)} | ${(result.writer_per_s / result.kafka_read_per_s).toFixed(2)} |`,
    );
    console.log(
      `| Redis alone (writeAndWait, batches of ${batch}) | ${fmt(result.redis_write_per_s)} | ${(result.writer_per_s / result.redis_write_per_s).toFixed(2)} |`,
    );
    console.log(
      `| the writer (Kafka → Redis, offsets committed) | ${fmt(result.writer_per_s)} | 1.00 |`,
    );
    console.log(`\nwriter CPU: ${writerCpuMicros.toFixed(0)} µs per record`);
    console.log(`writer, ${formatWriterCounters(counters, records, 'record')}`);
  } finally {
    await cleanups.runAll();
  }
}

/** Seconds a fresh consumer group takes to read `records` messages of `topics`, doing nothing. */
async function readAll(kafka: Kafka, group: string, topics: string[], records: number) {
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let first: number | undefined;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        first ??= Date.now();
        seen += batch.messages.length;
        if (seen >= records) resolve(Date.now());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  return (end - first!) / 1000;
}

/**
 * Samples the group's committed offsets until they cover `records`; the rate's span runs from the
 * first sample that saw a commit to the last (the group's join is not the writer's speed).
 */
async function followCommits(
  admin: ReturnType<Kafka['admin']>,
  group: string,
  topics: string[],
  records: number,
): Promise<{ committed: number; seconds: number }> {
  let firstAt: number | undefined;
  let firstCommitted = 0;
  let lastReport = Date.now();
  for (;;) {
    const offsets = await admin.fetchOffsets({ groupId: group, topics });
    const committed = offsets
      .flatMap((t) => t.partitions)
      .reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    const now = Date.now();
    if (committed > 0 && firstAt === undefined) {
      firstAt = now;
      firstCommitted = committed;
    }
    if (now - lastReport > 5000) {
      log(`writer: ${committed}/${records} committed`);
      lastReport = now;
    }
    if (committed >= records) {
      return { committed: committed - firstCommitted, seconds: (now - firstAt!) / 1000 };
    }
    await sleep(SAMPLE_MS);
  }
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
