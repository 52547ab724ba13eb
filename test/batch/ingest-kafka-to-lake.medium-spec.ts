import { randomUUID } from 'crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { basename, join } from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClientConfig, PROJECT_ROOT } from '@fstore/config';
// The producer compresses with LZ4, a codec kafkajs only has once the producer module registered
// it: without it this test's consumer cannot decode a batch (kafkajs drops it silently).
import '@fstore/ingest';
import { GENERATED_LAYOUT, parseCsvLine, RawEvent } from '@fstore/events';
import { LivyBatchesClient } from '@fstore/livy';
import { generate } from '@fstore/generator';
import { sparkDirs, sparkKafkaJars } from '../../apps/cli/src/stack/spark';
import { stackContext } from '../../apps/cli/src/stack/stack';
import { sparkSubmit } from '../support/spark';
import { stackWorkDir } from '../support/work-dir';
import { produceFile } from '../support/cli';

/**
 * spark-jobs/ingest_kafka_to_lake.py on the real stack: events generated with redeliveries,
 * published with the producer into a topic of this test, ingested through Livy into a table of a
 * database of this test (test_<uuid>, dropped at the end), part of them also bulk-loaded from a
 * file first; then more events, a run that dies after writing its rows but before recording its
 * offsets, the run after it, and a run with nothing new. The table must end with each event_id
 * exactly once, every value equal to the input, each Kafka row pointing at its message.
 */
const ctx = stackContext();
const livy = LivyBatchesClient.fromConfig(ctx.config);
const kafka = new Kafka({
  ...kafkaClientConfig(ctx.config, 'fstore-admin'),
  logLevel: logLevel.NOTHING,
});
const JOB = join(PROJECT_ROOT, 'spark-jobs', 'ingest_kafka_to_lake.py');
const BULK_JOB = join(PROJECT_ROOT, 'spark-jobs', 'load_raw_events.py');
const DUMP = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'lake_dump.py');
const id = randomUUID().replace(/-/g, '');
const db = `test_${id}`;
const table = `${db}.transactions`;
const topic = `test.lake.${id}`;
const dlq = `${topic}.dlq`;
const dir = stackWorkDir('fstore-lake-ingest-');

interface IngestSummary {
  run_id: string;
  partitions: Record<string, { from: number; until: number; read: number }>;
  read: number;
  valid: number;
  rejected: number;
  duplicates_in_batch: number;
  already_loaded: number;
  loaded: number;
  rejects_recorded: number;
  lost: number;
}

type Row = Record<string, string | number | null>;

/** The events of generated CSV files, each event_id once (first occurrence), by the producer's own parser. */
function distinctEvents(...files: string[]): Map<string, RawEvent> {
  const out = new Map<string, RawEvent>();
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n').slice(1).filter(Boolean);
    for (const line of lines) {
      const parsed = parseCsvLine(line, GENERATED_LAYOUT);
      if (!parsed.ok) throw new Error(`${file}: ${parsed.error.message}`);
      if (!out.has(parsed.event.event_id)) out.set(parsed.event.event_id, parsed.event);
    }
  }
  return out;
}

async function generateCsv(name: string, seed: number, rows: number, start: string) {
  const file = join(dir, `${name}-${id}.csv`);
  await generate({ rows, seed, out: file, start, spanDays: 6, duplicates: 0.06 });
  return file;
}

async function publish(file: string): Promise<number> {
  const s = await produceFile({
    file,
    topic,
    dlqTopic: dlq,
    checkpointDir: join(dir, 'checkpoints'),
    args: ['--no-parse-worker'],
  });
  expect(s).toMatchObject({ dead_lettered: 0, complete: true });
  return s.produced;
}

async function endOffsets(): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [String(o.partition), Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Every message of the topic: "kafka:<topic>/<partition>:<offset>" → value. */
async function allMessages(expected: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.size}/${expected}`)), 60000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          out.set(`kafka:${topic}/${partition}:${message.offset}`, message.value!.toString());
          if (out.size === expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function runBatch(file: string, args: string[], name: string) {
  const batch = await livy.submit({ file, args, name: `${name}-${db}` });
  const state = await livy.waitForCompletion(batch, { timeoutMs: 600000, pollMs: 1000 });
  return { state, log: await livy.fullLog(batch) };
}

/** The summary lines a successful batch printed (one a run), parsed. */
function summaries<T>(prefix: string, run: { state: string; log: string[] }): T[] {
  const lines = run.log.filter((l) => l.startsWith(prefix + ' '));
  if (run.state !== 'success' || lines.length === 0) {
    throw new Error(`batch ended ${run.state} without ${prefix}:\n${run.log.join('\n')}`);
  }
  return lines.map((l) => firstJsonObject(l.slice(prefix.length + 1)) as T);
}

/**
 * The JSON object a line starts with. Livy's log joins the job's stdout and stderr, and once in a
 * while another stream's text ends up on the summary's line; the first prefix that parses is the
 * whole object (a shorter one leaves a brace open).
 */
function firstJsonObject(text: string): unknown {
  for (let end = text.indexOf('}'); end !== -1; end = text.indexOf('}', end + 1)) {
    try {
      return JSON.parse(text.slice(0, end + 1));
    } catch {
      // not yet the whole object
    }
  }
  return JSON.parse(text); // fails with JSON's own message
}

const ingest = (name: string, ...extra: string[]) =>
  runBatch(JOB, ['--topic', topic, '--table', table, ...extra], name);

const readNdjson = (file: string): Row[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Row)
    : [];

/** An input event as the dump writes its row: price with 2 decimals, time with milliseconds. */
function asRow(e: RawEvent): Row {
  const row: Row = { ...(e as unknown as Row) };
  row.price = e.price.toFixed(2);
  row.transaction_date =
    e.transaction_date.length === 19 ? `${e.transaction_date}.000` : e.transaction_date;
  row.event_date = e.transaction_date.slice(0, 10);
  return row;
}

describe('ingest_kafka_to_lake through Livy: Kafka → Hive raw table, each event_id once', () => {
  let dropped = false;
  beforeAll(async () => {
    // The job needs the stack's Spark configuration with the Kafka connector in spark.jars.
    const conf = join(sparkDirs(ctx).conf, 'spark-defaults.conf');
    const jars = sparkKafkaJars(ctx);
    if (!existsSync(conf) || jars.length === 0 || !readFileSync(conf, 'utf8').includes(jars[0])) {
      throw new Error(`${conf} lacks the Kafka connector: run \`fstore stack up spark\``);
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [topic, dlq].map((t) => ({ topic: t, numPartitions: ctx.config.kafka.partitions })),
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
  });
  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.disconnect();
    if (!dropped)
      await sparkSubmit(ctx, DUMP, [table, '--out', dir, '--drop-database', db]).catch(
        () => undefined,
      );
    rmSync(dir, { recursive: true, force: true });
  }, 300000);

  it('loads each event once, across a bulk load, redeliveries, a crashed run and reruns', async () => {
    const a = await generateCsv('a', 901, 1200, '2024-03-01');
    const b1 = await generateCsv('b1', 902, 400, '2024-03-05');
    const b2 = await generateCsv('b2', 903, 300, '2024-03-09');
    // b1 also redelivers 5 events of a (same lines, a later run).
    const aLines = readFileSync(a, 'utf8').split('\n');
    writeFileSync(b1, readFileSync(b1, 'utf8') + aLines.slice(100, 105).join('\n') + '\n');
    // The first 300 events of a are bulk-loaded from a file as well.
    const bulk = join(dir, `bulk-${id}.csv`);
    writeFileSync(bulk, aLines.slice(0, 301).join('\n') + '\n');
    const A = distinctEvents(a);
    const BULK = distinctEvents(bulk);
    const B1 = distinctEvents(b1);
    const B2 = distinctEvents(b2);
    const ALL = distinctEvents(a, b1, b2);
    expect(B2.size).toBe(distinctEvents(a, b1, b2).size - distinctEvents(a, b1).size);

    // 1. Bulk load of the file beside publishing a, plus a redelivery and three bad messages.
    const [bulkRun, producedA] = await Promise.all([
      runBatch(BULK_JOB, ['--input', bulk, '--table', table], 'bulk'),
      publish(a),
    ]);
    expect(summaries('LOAD_SUMMARY', bulkRun)[0]).toMatchObject({ loaded: BULK.size, rejected: 0 });
    const first = [...A.values()][0];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: first.customer_id, value: JSON.stringify(first) }, // redelivery
        { key: 'x', value: '{"event_id": "e-broken", "customer_id"' },
        { key: 'x', value: JSON.stringify({ ...first, event_id: 'e-negative', price: -1 }) },
        { key: 'x', value: JSON.stringify({ ...first, event_id: null }) },
      ],
    });
    await producer.disconnect();

    // 2. First ingestion: a's events that the bulk load did not bring; the bad ones rejected.
    const [run1] = summaries<IngestSummary>('INGEST_SUMMARY', await ingest('run1'));
    expect(run1).toMatchObject({
      read: producedA + 4,
      valid: producedA + 1,
      rejected: 3,
      duplicates_in_batch: producedA + 1 - A.size,
      already_loaded: BULK.size,
      loaded: A.size - BULK.size,
      rejects_recorded: 3,
      lost: 0,
    });

    // 3. More events; the run dies after writing its rows, before recording its offsets.
    const producedB1 = await publish(b1);
    const crashed = await ingest('crash', '--fail-after-data-write');
    expect(crashed.state).toBe('dead');
    expect(crashed.log.join('\n')).toContain('SimulatedCrash');

    // 4. Still more. The next application runs twice (--every, as a continuous ingestion does):
    // the first run reads the crashed run's range again and adds only b2's events; the second
    // finds nothing new, reads nothing and writes nothing.
    const producedB2 = await publish(b2);
    const recovery = await ingest('run3', '--every', '1', '--max-runs', '2');
    const [run3, run4] = summaries<IngestSummary>('INGEST_SUMMARY', recovery);
    expect(run3).toMatchObject({
      read: producedB1 + producedB2,
      rejected: 0,
      already_loaded: B1.size,
      loaded: B2.size,
      rejects_recorded: 0,
    });
    for (const [p, r] of Object.entries(run3.partitions)) {
      expect(r.from).toBe(run1.partitions[p].until);
    }
    expect(run4).toMatchObject({ read: 0, loaded: 0, rejects_recorded: 0 });
    const ends = await endOffsets();
    for (const [p, r] of Object.entries(run4.partitions)) {
      expect([p, r.from, r.until]).toEqual([p, ends[p], ends[p]]);
    }

    // 5. What the lake holds, read by another Spark process; then the database is dropped.
    const out = await sparkSubmit(ctx, DUMP, [table, '--out', dir, '--drop-database', db]);
    dropped = true;
    const report = JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('LAKE_DUMP '))!
        .slice(10),
    );
    const rows = readNdjson(join(dir, 'events.ndjson'));
    expect(report).toMatchObject({ rows: ALL.size, misplaced: 0 });
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(ALL.size);
    const messages = await allMessages(producedA + 4 + producedB1 + producedB2);
    for (const row of rows) {
      const event = ALL.get(row.event_id as string);
      expect(event).toBeDefined();
      const { source_file, source_line, loaded_at, ...values } = row;
      expect(values).toEqual(asRow(event!));
      expect(loaded_at).toBeTruthy();
      if (BULK.has(row.event_id as string)) {
        expect([source_file, values.event_id]).toEqual([basename(bulk), row.event_id]);
      } else {
        // A Kafka row names its message: partition and offset of the event's first copy.
        const message = messages.get(`${source_file}:${source_line}`);
        expect(message && JSON.parse(message).event_id).toBe(row.event_id);
      }
    }
    const dates = new Set([...ALL.values()].map((e) => e.transaction_date.slice(0, 10)));
    expect(report.partitions).toBe(dates.size);

    const rejects = readNdjson(join(dir, 'rejects.ndjson'));
    expect(rejects.map((r) => [r.field, r.rule]).sort()).toEqual([
      ['event_id', 'required'],
      ['price', 'min'],
      ['row', 'json'],
    ]);
    for (const r of rejects) expect(messages.get(`${r.source_file}:${r.source_line}`)).toBe(r.raw);

    // Offsets: two recorded runs (not the crashed one), ending at the topic's end offsets.
    const offsets = readNdjson(join(dir, 'offsets.ndjson'));
    expect(new Set(offsets.map((o) => o.run_id))).toEqual(new Set([run1.run_id, run3.run_id]));
    for (const [p, end] of Object.entries(ends)) {
      const until = offsets
        .filter((o) => String(o.kafka_partition) === p)
        .map((o) => Number(o.until_offset));
      expect(Math.max(0, ...until)).toBe(end);
    }
  }, 1500000);
});
