import { STREAM_FEATURES } from '@fstore/contracts';
import { FeatureWrite, OnlineStore } from '@fstore/online-store';
import { WriterMetrics } from './metrics';
import { FeatureWriter } from './writer';

// The rule the fault run of issue 20 broke: a Redis outage longer than the retry period sent
// valid updates to the dead-letter topic and committed their offsets. Now the batch is held and
// retried until Redis takes it; nothing is dead-lettered, the offset is committed only after.
jest.setTimeout(30000);

const feature = STREAM_FEATURES.find((f) => f.name === 'last_purchase_amount')!;

function message(offset: number, customer: string, value: number) {
  return {
    offset: String(offset),
    key: Buffer.from(JSON.stringify({ customer_id: customer })),
    value: Buffer.from(
      JSON.stringify({ customer_id: customer, value, event_time: '2024-01-01 00:00:00' }),
    ),
  };
}

function setUp(failures: number) {
  const written: FeatureWrite[][] = [];
  let calls = 0;
  const store = {
    write: async (rows: FeatureWrite[]) => {
      calls++;
      if (calls <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:7001');
      written.push(rows);
      return { written: rows.length, skippedOlder: 0 };
    },
  } as unknown as OnlineStore;
  const metrics = new WriterMetrics();
  const writer = new FeatureWriter(
    {
      brokers: ['127.0.0.1:1'],
      groupId: 'g',
      features: [feature],
      deadLetterTopic: 'dlq',
      retryForMs: 300,
      log: () => undefined,
    },
    store,
    metrics,
  );
  const commits: unknown[] = [];
  const sent: unknown[] = [];
  Object.assign(writer as unknown as Record<string, unknown>, {
    consumer: { commitOffsets: async (o: unknown) => commits.push(o) },
    producer: { send: async (r: unknown) => sent.push(r) },
  });
  const payload = (running: () => boolean) => ({
    batch: {
      topic: 'features.last_purchase_amount',
      partition: 0,
      messages: [message(10, 'c1', 5), message(11, 'c2', 7)],
      offsetLag: () => '0',
    },
    heartbeat: async () => undefined,
    isRunning: running,
    isStale: () => false,
    resolveOffset: () => undefined,
  });
  const apply = (running: () => boolean = () => true) =>
    (writer as unknown as { applyBatch: (p: unknown) => Promise<void> }).applyBatch(
      payload(running),
    );
  return { writer, written, commits, sent, metrics, apply, calls: () => calls };
}

describe('FeatureWriter under a Redis outage', () => {
  it('holds the batch past the retry period, reports unready, and writes it once Redis is back', async () => {
    const t = setUp(6); // ~100+200+400+800+1600+3200 ms of backoff: longer than retryForMs
    const done = t.apply();
    await new Promise((r) => setTimeout(r, 1000));
    expect(t.writer.health()).toMatchObject({ ready: false });
    expect(t.commits).toEqual([]);
    await done;
    expect(t.written).toHaveLength(1);
    expect(t.written[0].map((w) => w.keyParts[0])).toEqual(['c1', 'c2']);
    expect(t.sent).toEqual([]); // nothing dead-lettered
    expect(t.commits).toEqual([
      [{ topic: 'features.last_purchase_amount', partition: 0, offset: '12' }],
    ]);
    expect(t.writer.health()).toEqual({ ready: true, detail: 'ok' });
    expect((await t.metrics.redisAvailable.get()).values[0].value).toBe(1);
  });

  it('gives the batch up uncommitted when the partition is taken away', async () => {
    const t = setUp(1000);
    let running = true;
    const done = t.apply(() => running);
    await new Promise((r) => setTimeout(r, 400));
    running = false;
    await done;
    expect(t.commits).toEqual([]);
    expect(t.sent).toEqual([]);
  });
});
