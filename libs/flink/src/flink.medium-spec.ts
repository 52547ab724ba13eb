import { randomUUID } from 'crypto';
import { existsSync, rmSync } from 'fs';
import { join } from 'path';
import { fileURLToPath } from 'url';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import {
  FlinkJobNotFoundError,
  FlinkJobs,
  FlinkPlaceholderError,
  FlinkScriptPolicyError,
  FlinkSessionNotFoundError,
  FlinkSqlError,
} from '@fstore/flink';

// Against the real Flink session cluster, SQL Gateway and Kafka of the local stack.
jest.setTimeout(240000);

const config = loadConfig();
const flink = FlinkJobs.fromConfig(config);
const kafka = new Kafka({
  clientId: 'fstore-flink-test',
  ...kafkaClientConfig(config, 'fstore-admin'),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const topics: string[] = [];
const jobs: string[] = [];
const consumers: Consumer[] = [];
const savepoints: string[] = [];

async function newTopic(partitions = 2): Promise<string> {
  const topic = `test.${randomUUID()}`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  topics.push(topic);
  return topic;
}

async function produce(topic: string, records: { k: string; v: number }[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: records.map((r) => ({ key: r.k, value: JSON.stringify(r) })),
  });
  await producer.disconnect();
}

interface Received {
  key: string | null;
  value: string | null;
}

/** Collects every record of the topic from the beginning, as it arrives. */
async function collect(topic: string): Promise<Received[]> {
  const received: Received[] = [];
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
      });
    },
  });
  return received;
}

async function eventually(what: string, check: () => boolean, timeoutMs = 90000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function submit(script: string, values: Record<string, string>, savepointPath?: string) {
  const jobId = await flink.submitScript(script, {
    values,
    savepointPath,
    jobName: `test-${randomUUID()}`,
  });
  jobs.push(jobId);
  return jobId;
}

const SOURCE = `
-- Test input: JSON records {"k": …, "v": …}.
CREATE TABLE src (
  k STRING,
  v INT
) WITH (
  'connector' = 'kafka',
  'topic' = '\${SRC_TOPIC}',
  'properties.bootstrap.servers' = '\${KAFKA_BROKERS}',
  'properties.security.protocol' = 'SASL_PLAINTEXT',
  'properties.sasl.mechanism' = 'SCRAM-SHA-512',
  'properties.group.id' = 'test-fstore-flink',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);`;

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  for (const jobId of jobs) await flink.cancel(jobId).catch(() => undefined);
  // Checkpoints are retained on cancel, savepoints always: remove the tests' own.
  const flinkData = join(config.stackDir, 'data', 'flink');
  for (const jobId of jobs)
    rmSync(join(flinkData, 'checkpoints', jobId), { recursive: true, force: true });
  for (const dir of savepoints) rmSync(dir, { recursive: true, force: true });
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('FlinkJobs against the local session cluster', () => {
  it('runs a streaming INSERT into upsert-kafka: job RUNNING, output on the sink topic', async () => {
    const src = await newTopic();
    const sink = await newTopic();
    const script = `${SOURCE}
-- Running count of records per key; the key is the upsert key.
CREATE TABLE counts (
  k STRING,
  n BIGINT,
  PRIMARY KEY (k) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '\${SINK_TOPIC}',
  'properties.bootstrap.servers' = '\${KAFKA_BROKERS}',
  'properties.security.protocol' = 'SASL_PLAINTEXT',
  'properties.sasl.mechanism' = 'SCRAM-SHA-512',
  'key.format' = 'json',
  'value.format' = 'json'
);
-- a ';' in a comment, and in a literal below, must not split the statement
INSERT INTO counts SELECT k, COUNT(*) AS n FROM src WHERE k <> 'x;y' GROUP BY k;
`;
    const input = ['a', 'b', 'a', 'c', 'a', 'b', 'c', 'a', 'b', 'c'].map((k, v) => ({ k, v }));
    await produce(src, input);
    const out = await collect(sink);

    const jobId = await submit(script, { SRC_TOPIC: src, SINK_TOPIC: sink });
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    await flink.waitUntilRunning(jobId);
    expect((await flink.status(jobId)).state).toBe('RUNNING');

    const latest = () => {
      const byKey: Record<string, number> = {};
      for (const r of out) byKey[JSON.parse(r.key!).k] = JSON.parse(r.value!).n;
      return byKey;
    };
    // Every key's last count: c's comes with the last record, after a's and b's (waiting for a
    // and b only saw c at 1 in one CI run).
    await eventually('the counts on the sink topic', () => {
      const { a, b, c } = latest();
      return a === 4 && b === 3 && c === 3;
    });
    expect(latest()).toEqual({ a: 4, b: 3, c: 3 });

    await flink.cancel(jobId);
    expect((await flink.status(jobId)).state).toBe('CANCELED');
  });

  it('stops with a savepoint and resumes from it without reprocessing', async () => {
    const src = await newTopic();
    const sink = await newTopic();
    const script = `${SOURCE}
-- Every input record, passed through once.
CREATE TABLE copy (
  k STRING,
  v INT
) WITH (
  'connector' = 'kafka',
  'topic' = '\${SINK_TOPIC}',
  'properties.bootstrap.servers' = '\${KAFKA_BROKERS}',
  'properties.security.protocol' = 'SASL_PLAINTEXT',
  'properties.sasl.mechanism' = 'SCRAM-SHA-512',
  'format' = 'json'
);
INSERT INTO copy SELECT k, v FROM src;
`;
    const values = { SRC_TOPIC: src, SINK_TOPIC: sink };
    const batch = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ k: `key${(from + i) % 7}`, v: from + i }));
    const N = 40;
    const M = 25;
    await produce(src, batch(0, N));
    const out = await collect(sink);

    const first = await submit(script, values);
    await flink.waitUntilRunning(first);
    await eventually(`${N} records on the sink`, () => out.length >= N);

    const t0 = Date.now();
    const savepoint = await flink.stopWithSavepoint(first);
    const stopMs = Date.now() - t0;
    const dir = savepoint.startsWith('file:') ? fileURLToPath(savepoint) : savepoint;
    savepoints.push(dir);
    expect(existsSync(join(dir, '_metadata'))).toBe(true);
    expect(dir.startsWith(join(config.stackDir, 'data', 'flink', 'savepoints'))).toBe(true);
    expect((await flink.status(first)).state).toBe('FINISHED');
    await expect(flink.stopWithSavepoint(first)).rejects.toThrow(/is FINISHED, not RUNNING/);

    await produce(src, batch(N, M));
    const second = await flink.startFromSavepoint(script, savepoint, { values });
    jobs.push(second);
    expect(second).not.toBe(first);
    await flink.waitUntilRunning(second);
    await eventually(`${N + M} records on the sink`, () => out.length >= N + M);
    // Give a reprocessing job time to show itself.
    await new Promise((r) => setTimeout(r, 3000));

    const seen = out.map((r) => (JSON.parse(r.value!) as { v: number }).v).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: N + M }, (_, i) => i));
    const status = await flink.status(second);
    expect(status.state).toBe('RUNNING');
    expect(status.vertices.length).toBeGreaterThan(0);
    await expect(flink.status('0'.repeat(32))).rejects.toThrow(FlinkJobNotFoundError);
    await flink.cancel(second);
    console.log(`stop with savepoint took ${stopMs} ms; savepoint ${savepoint}`);
  });

  it('reports a bad statement with its root cause and line, and leaves no job behind', async () => {
    const src = await newTopic();
    const before = (await flink.jobManager.jobs()).map((j) => j.jid).sort();
    const values = { SRC_TOPIC: src };

    // (A connector other than Kafka never reaches Flink: the job-script policy refuses it.)
    const missingOption = `${SOURCE}
CREATE TABLE dst (k STRING) WITH ('connector' = 'kafka', 'topic' = 'x', 'format' = 'json');
INSERT INTO dst SELECT k FROM src;`;
    const error = await flink.submitScript(missingOption, { values }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlinkSqlError);
    expect((error as FlinkSqlError).message).toMatch(
      /Missing required options are: properties.bootstrap.servers \(statement at line 17\)$/,
    );
    expect((error as FlinkSqlError).statement?.sql).toBe('INSERT INTO dst SELECT k FROM src');

    const unknownTable = `${SOURCE}
INSERT INTO nope SELECT k FROM src;`;
    await expect(flink.submitScript(unknownTable, { values })).rejects.toThrow(
      /Cannot find table '.*`nope`' in any of the catalogs/,
    );
    const unknownSource = `${SOURCE}
INSERT INTO src SELECT k, v FROM nope;`;
    await expect(flink.submitScript(unknownSource, { values })).rejects.toThrow(
      /Object 'nope' not found/,
    );
    const badSyntax = `${SOURCE}
INSERT INTO src SELEC k FROM src;`;
    await expect(flink.submitScript(badSyntax, { values })).rejects.toThrow(FlinkSqlError);

    // Caught before anything reaches Flink.
    await expect(flink.submitScript(unknownTable, { values: {} })).rejects.toThrow(
      FlinkPlaceholderError,
    );
    const filesystem = `${SOURCE}
CREATE TABLE dst (k STRING) WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'raw');
INSERT INTO dst SELECT k FROM src;`;
    await expect(flink.submitScript(filesystem, { values })).rejects.toThrow(
      FlinkScriptPolicyError,
    );

    const after = (await flink.jobManager.jobs()).map((j) => j.jid).sort();
    expect(after).toEqual(before);
  });

  it('reports a closed or expired session as such', async () => {
    const session = await flink.gateway.openSession({ name: 'test-closed' });
    const select = await flink.gateway.execute(session, 'SELECT 1');
    if (select.jobId) jobs.push(select.jobId);
    expect(select.rows).toEqual([[1]]);
    await flink.gateway.closeSession(session);
    await expect(flink.gateway.execute(session, 'SELECT 1')).rejects.toThrow(
      FlinkSessionNotFoundError,
    );
    await expect(flink.gateway.heartbeat(session)).rejects.toThrow(FlinkSessionNotFoundError);
    // A handle the gateway no longer knows (expired after its idle timeout) looks the same.
    const expired = randomUUID();
    const error = await flink.gateway.execute(expired, 'SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlinkSessionNotFoundError);
    expect((error as FlinkSessionNotFoundError).sessionHandle).toBe(expired);
    expect((error as Error).message).toMatch(/does not exist \(closed or expired\)/);
  });
});
