import { randomUUID } from 'crypto';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { featureByName } from '@fstore/contracts';
import { silentLogger } from '@fstore/observability';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { WriterMetrics } from '../src/metrics';
import { FeatureWriter } from '../src/writer';

// The writer against real Kafka and Redis Cluster, fed with changelog records shaped like the
// Flink jobs' upsert-kafka output, on topics of its own.
const config = loadConfig();
const kafka = new Kafka({
  ...kafkaClientConfig(config, 'fstore-admin'),
  logLevel: logLevel.NOTHING,
});
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
const amount = featureByName('last_purchase_amount')!;
const run = randomUUID().slice(0, 8);
const topic = `test.writer.${run}`;
const dlq = `test.writer-dlq.${run}`;
/** Eight partitions, so that the writer is handed several partitions' batches at once. */
const wide = `test.writer-wide.${run}`;
let admin: Admin;

function writer(groupId: string, metrics = new WriterMetrics(), from = topic): FeatureWriter {
  return new FeatureWriter(
    {
      ...kafkaClientConfig(config, 'feature-writer'),
      groupId,
      features: [amount],
      topicOf: () => from,
      deadLetterTopic: dlq,
      retryForMs: 2000,
      replicaWait: config.writer.replicaWait,
      log: silentLogger,
    },
    store,
    metrics,
  );
}

const row = (customer: string, value: string, time: string) => ({
  key: JSON.stringify({ customer_id: customer }),
  value: JSON.stringify({ customer_id: customer, value, event_time: time }),
});

async function produce(
  messages: { key: string; value: string | null }[],
  to = topic,
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: to, messages });
  await producer.disconnect();
}

async function until(check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const get = (customer: string) => store.client.get(`last_purchase_amount:{${customer}}`);

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: 3 },
      { topic: dlq, numPartitions: 1 },
      { topic: wide, numPartitions: 8 },
    ],
  });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic, dlq, wide] });
  await admin.disconnect();
  await store.close();
});

describe('feature writer', () => {
  it('applies upserts by event time: the newest value wins, a tombstone deletes', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `${x}-${run}`);
    await produce([
      row(a, '10.00', '2024-06-01 10:00:00'),
      row(a, '12.50', '2024-06-01 11:00:00'),
      row(b, '99.99', '2024-06-02 00:00:00'),
      { key: JSON.stringify({ customer_id: b }), value: null }, // tombstone then a new value
      row(b, '5.00', '2024-06-03 00:00:00'),
      row(c, '1.00', '2024-06-01 00:00:00'),
    ]);
    const w = writer(`test-writer-${run}-1`);
    await w.start();
    try {
      await until(async () => (await get(c)) === '1.00' && (await get(b)) === '5.00');
      expect(await get(a)).toBe('12.50');
      // An older update arriving later (a replay) does not overwrite the newer value.
      await produce([row(a, '0.01', '2024-06-01 09:00:00'), row(c, '2.00', '2024-06-01 00:00:01')]);
      await until(async () => (await get(c)) === '2.00');
      expect(await get(a)).toBe('12.50');
      expect(await store.client.get(`last_purchase_amount:{${a}}:ts`)).toBe(
        String(Date.parse('2024-06-01T11:00:00Z')),
      );
    } finally {
      await w.stop();
    }
  });

  it('sends a record it cannot apply to the dead-letter topic with the reason', async () => {
    const bad = { key: JSON.stringify({ customer_id: `d-${run}` }), value: '{"value": "lots"' };
    const good = row(`e-${run}`, '3.00', '2024-06-01 00:00:00');
    await produce([bad, good]);
    const w = writer(`test-writer-${run}-2`);
    await w.start();
    const consumer = kafka.consumer({ groupId: `test-dlq-${run}` });
    try {
      await until(async () => (await get(`e-${run}`)) === '3.00');
      await consumer.connect();
      await consumer.subscribe({ topic: dlq, fromBeginning: true });
      const letters: Record<string, unknown>[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => void letters.push(JSON.parse(String(message.value))),
      });
      await until(async () => letters.length >= 1);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        reason: { rule: 'json' },
        source: { service: 'feature-writer', topic },
        original_base64: Buffer.from(bad.value).toString('base64'),
      });
    } finally {
      await consumer.disconnect();
      await w.stop();
    }
  });

  it('loses nothing when stopped mid-stream and restarted', async () => {
    const group = `test-writer-${run}-3`;
    const customers = Array.from({ length: 300 }, (_, i) => `r${i}-${run}`);
    // Three generations of values; the last one is what must remain.
    for (const gen of [1, 2, 3]) {
      await produce(customers.map((c) => row(c, `${gen}.00`, `2024-06-0${gen} 00:00:00`)));
    }
    const first = writer(group);
    await first.start();
    await until(async () => (await get(customers[0])) !== null);
    await first.stop(); // mid-stream: some batches applied and committed, maybe not all
    const second = writer(group);
    await second.start();
    try {
      await until(async () => {
        const values = await Promise.all(customers.map(get));
        return values.every((v) => v === '3.00');
      });
    } finally {
      await second.stop();
    }
  });

  it('applies batches handed over together once each, and commits every partition to its end', async () => {
    const group = `test-writer-${run}-4`;
    const customers = Array.from({ length: 400 }, (_, i) => `w${i}-${run}`);
    for (const gen of [1, 2, 3]) {
      await produce(
        customers.map((c) => row(c, `${gen}.00`, `2024-06-0${gen} 00:00:00`)),
        wide,
      );
    }
    const metrics = new WriterMetrics();
    const w = writer(group, metrics, wide);
    await w.start();
    try {
      await until(async () => (await Promise.all(customers.map(get))).every((v) => v === '3.00'));
      const ends = await admin.fetchTopicOffsets(wide);
      const committed = async () =>
        (await admin.fetchOffsets({ groupId: group, topics: [wide] }))[0].partitions;
      await until(async () =>
        (await committed()).every(
          (c) => c.offset === ends.find((e) => e.partition === c.partition)!.offset,
        ),
      );
      expect((await committed()).map((c) => c.partition).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // Each record taken once (no batch applied twice), and a value written for every customer
      // (a batch keeps the last record of each key, so three generations may make one write).
      const total = async (c: typeof metrics.written) =>
        (await c.get()).values.reduce((sum, v) => sum + v.value, 0);
      expect(await total(metrics.recordsIn)).toBe(customers.length * 3);
      expect(await total(metrics.written)).toBeGreaterThanOrEqual(customers.length);
    } finally {
      await w.stop();
    }
  });
});
