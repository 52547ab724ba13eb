import { STREAM_FEATURES } from '@fstore/contracts';
import { FeatureWrite, OnlineStore, ReplicaAck, ReplicaWait } from '@fstore/online-store';
import { WriterMetrics } from './metrics';
import { FeatureWriter, newestPerPartition, replicaShortfalls } from './writer';

// The rule the fault run of issue 20 broke: a Redis outage longer than the retry period sent
// valid updates to the dead-letter topic and committed their offsets. Now the batch is held and
// retried until Redis takes it; nothing is dead-lettered, the offset is committed only after.
jest.setTimeout(30000);

const feature = STREAM_FEATURES.find((f) => f.name === 'last_purchase_amount')!;

function message(offset: number, customer: string, value: number, timestamp?: number) {
  return {
    offset: String(offset),
    ...(timestamp === undefined ? {} : { timestamp: String(timestamp) }),
    key: Buffer.from(JSON.stringify({ customer_id: customer })),
    value: Buffer.from(
      JSON.stringify({ customer_id: customer, value, event_time: '2024-01-01 00:00:00' }),
    ),
  };
}

/**
 * `acks`: what WAIT answers for a batch (a function may hold it, or fail the call); replicas 0
 * (the default here): the writer does not wait, and writeAndWait must not be called.
 */
function setUp(
  failures: number,
  replicaWait: ReplicaWait = { replicas: 0, timeoutMs: 500 },
  acks: () => Promise<ReplicaAck[]> = async () => [],
  messages: ReturnType<typeof message>[] = [message(10, 'c1', 5), message(11, 'c2', 7)],
) {
  const written: FeatureWrite[][] = [];
  const waits: ReplicaWait[] = [];
  const logged: [string, Record<string, unknown> | undefined][] = [];
  let calls = 0;
  const write = async (rows: FeatureWrite[]) => {
    calls++;
    if (calls <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:7001');
    written.push(rows);
    return { written: rows.length, skippedOlder: 0 };
  };
  const store = {
    write,
    writeAndWait: async (rows: FeatureWrite[], wait: ReplicaWait) => {
      const result = await write(rows);
      waits.push(wait);
      return { ...result, acks: await acks() };
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
      replicaWait,
      log: {
        debug: (msg, fields) => logged.push([msg, fields]),
        info: (msg, fields) => logged.push([msg, fields]),
        warn: (msg, fields) => logged.push([msg, fields]),
        error: (msg, fields) => logged.push([msg, fields]),
      },
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
  const payload = (running: () => boolean, partition = 0) => ({
    batch: {
      topic: 'features.last_purchase_amount',
      partition,
      messages,
      offsetLag: () => '0',
    },
    heartbeat: async () => undefined,
    isRunning: running,
    isStale: () => false,
    resolveOffset: () => undefined,
  });
  // A batch applied, and its offset commit (which the batch does not wait for) settled.
  const apply = async (running: () => boolean = () => true, partition = 0) => {
    await (writer as unknown as { applyBatch: (p: unknown) => Promise<void> }).applyBatch(
      payload(running, partition),
    );
    await writer.commitsSettled();
  };
  /** A batch of partition `partition`, the writer running. */
  const applyOn = (partition: number) => apply(() => true, partition);
  return {
    writer,
    written,
    waits,
    logged,
    commits,
    sent,
    metrics,
    apply,
    applyOn,
    calls: () => calls,
  };
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

  it('sets the newest event time written per feature, and never moves it back', async () => {
    const t = setUp(0);
    await t.apply();
    const newest = async () =>
      (await t.metrics.newestEventTime.get()).values.map((v) => [v.labels.feature, v.value]);
    const written = t.written[0].map((w) => ('eventTime' in w ? w.eventTime : undefined));
    const expected = Math.max(...written.filter((e): e is number => e !== undefined)) / 1000;
    expect(await newest()).toEqual([['last_purchase_amount', expected]]);
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

describe('FeatureWriter with batches handed over together', () => {
  it('makes one Redis write and one offset commit for them', async () => {
    const t = setUp(0);
    await Promise.all([t.applyOn(0), t.applyOn(1), t.applyOn(2)]);
    expect(t.written).toHaveLength(1);
    expect(t.written[0].map((w) => w.keyParts[0])).toEqual(['c1', 'c2', 'c1', 'c2', 'c1', 'c2']);
    expect(t.commits).toEqual([
      [0, 1, 2].map((partition) => ({
        topic: 'features.last_purchase_amount',
        partition,
        offset: '12',
      })),
    ]);
    expect((await t.metrics.written.get()).values[0].value).toBe(6);
  });

  it('retries each batch of a failed write, and commits each after Redis took it', async () => {
    const t = setUp(1);
    await Promise.all([t.applyOn(0), t.applyOn(1)]);
    // The failed call took both. Each retries after its own backoff timer: the retries go
    // together when the timers fire in one turn of the event loop, else one call each.
    expect([2, 3]).toContain(t.calls());
    expect(t.written.flat()).toHaveLength(4);
    expect(t.commits.flat()).toHaveLength(2);
  });
});

describe('FeatureWriter offset commits, off the batch path', () => {
  const offsetOf = (partition: number, offset: string) => ({
    topic: 'features.last_purchase_amount',
    partition,
    offset,
  });
  /** A consumer whose commits wait until released, or fail while `failing`. */
  function slowConsumer(t: ReturnType<typeof setUp>) {
    const state = { release: () => undefined as void, failing: false, calls: 0 };
    Object.assign(t.writer as unknown as Record<string, unknown>, {
      consumer: {
        commitOffsets: async (o: unknown) => {
          state.calls++;
          if (state.failing) throw new Error('The coordinator is not aware of this member');
          await new Promise<void>((r) => (state.release = r));
          t.commits.push(o);
        },
      },
    });
    return state;
  }
  const applyBatch = (t: ReturnType<typeof setUp>, partition: number) =>
    (t.writer as unknown as { applyBatch: (p: unknown) => Promise<void> }).applyBatch({
      batch: {
        topic: 'features.last_purchase_amount',
        partition,
        messages: [message(10 + partition, 'c1', 1)],
        offsetLag: () => '0',
      },
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
      resolveOffset: () => undefined,
    });

  it('ends a batch once Redis took it; a commit in flight takes the next ones together, newest each', async () => {
    const t = setUp(0);
    const consumer = slowConsumer(t);
    await applyBatch(t, 0); // done, its commit not answered yet
    expect(t.written).toHaveLength(1);
    expect(t.commits).toEqual([]);
    await applyBatch(t, 1);
    await applyBatch(t, 1);
    await applyBatch(t, 0);
    expect(consumer.calls).toBe(1);
    consumer.release();
    await new Promise((r) => setImmediate(r));
    consumer.release();
    await t.writer.commitsSettled();
    expect(t.commits).toEqual([[offsetOf(0, '11')], [offsetOf(1, '12'), offsetOf(0, '11')]]);
  });

  it('counts and logs a failed commit, and the next batch commits again', async () => {
    const t = setUp(0);
    const consumer = slowConsumer(t);
    consumer.failing = true;
    await applyBatch(t, 0);
    await t.writer.commitsSettled();
    expect((await t.metrics.commitErrors.get()).values[0].value).toBe(1);
    expect(t.logged).toContainEqual([
      'offset commit failed; the next commit carries the partition further',
      {
        topic: 'features.last_purchase_amount',
        partition: 0,
        offset: '11',
        error: 'The coordinator is not aware of this member',
      },
    ]);
    consumer.failing = false;
    await applyBatch(t, 0);
    await new Promise((r) => setImmediate(r));
    consumer.release();
    await t.writer.commitsSettled();
    expect(t.commits).toEqual([[offsetOf(0, '11')]]);
  });
});

describe('newestPerPartition', () => {
  it("keeps each topic partition's newest offset, by number not by text", () => {
    expect(
      newestPerPartition([
        { topic: 'a', partition: 0, offset: '9' },
        { topic: 'a', partition: 1, offset: '5' },
        { topic: 'a', partition: 0, offset: '10' },
        { topic: 'b', partition: 0, offset: '3' },
        { topic: 'a', partition: 0, offset: '8' },
      ]),
    ).toEqual([
      { topic: 'a', partition: 0, offset: '10' },
      { topic: 'a', partition: 1, offset: '5' },
      { topic: 'b', partition: 0, offset: '3' },
    ]);
  });
});

describe('replicaShortfalls (which masters of a batch are short of replicas)', () => {
  const acks = [
    { node: '10.0.0.1:6379', acknowledged: 1 },
    { node: '10.0.0.2:6379', acknowledged: 0 },
    { node: '10.0.0.3:6379', acknowledged: 2 },
  ];

  it('is each master that confirmed fewer than wanted', () => {
    expect(replicaShortfalls(acks, 1)).toEqual([{ node: '10.0.0.2:6379', acknowledged: 0 }]);
    expect(replicaShortfalls(acks, 2)).toEqual([
      { node: '10.0.0.1:6379', acknowledged: 1 },
      { node: '10.0.0.2:6379', acknowledged: 0 },
    ]);
    expect(replicaShortfalls([], 1)).toEqual([]);
  });

  it('is none when waiting is off', () => {
    expect(replicaShortfalls(acks, 0)).toEqual([]);
  });
});

describe('FeatureWriter waiting for replicas before it commits (WAIT)', () => {
  const wait = { replicas: 1, timeoutMs: 500 };
  const committed = [[{ topic: 'features.last_purchase_amount', partition: 0, offset: '12' }]];
  const shortfalls = async (t: ReturnType<typeof setUp>) =>
    (await t.metrics.replicaWaitShortfall.get()).values.map((v) => [v.labels.node, v.value]);

  it('commits only once every master that took writes has its replicas', async () => {
    let confirm: (acks: ReplicaAck[]) => void = () => undefined;
    const t = setUp(0, wait, () => new Promise((resolve) => (confirm = resolve)));
    const done = t.apply();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.written).toHaveLength(1); // the master took the writes ...
    expect(t.commits).toEqual([]); // ... but the offsets wait for its replicas
    confirm([{ node: '127.0.0.1:7001', acknowledged: 1 }]);
    await done;
    expect(t.waits).toEqual([wait]);
    expect(t.commits).toEqual(committed);
    expect(await shortfalls(t)).toEqual([]);
    expect(t.logged).toEqual([]);
  });

  it('with too few replicas in time: drops nothing, counts and warns, commits', async () => {
    const t = setUp(0, wait, async () => [
      { node: '127.0.0.1:7001', acknowledged: 1 },
      { node: '127.0.0.1:7002', acknowledged: 0 },
    ]);
    await t.apply();
    expect(t.written[0].map((w) => w.keyParts[0])).toEqual(['c1', 'c2']);
    expect(t.sent).toEqual([]);
    expect(t.commits).toEqual(committed);
    expect(await shortfalls(t)).toEqual([['127.0.0.1:7002', 1]]);
    expect(t.logged).toEqual([
      [
        'replicas did not confirm the writes in time; offsets committed anyway',
        {
          level: 'warn',
          wanted: 1,
          timeout_ms: 500,
          masters: [{ node: '127.0.0.1:7002', acknowledged: 0 }],
          shortfalls: 1,
        },
      ],
    ]);
    expect(t.writer.health()).toEqual({ ready: true, detail: 'ok' });
  });

  it('warns once while the shortfalls go on, and counts every one', async () => {
    const t = setUp(0, wait, async () => [{ node: '127.0.0.1:7002', acknowledged: 0 }]);
    await t.apply();
    await t.apply();
    await t.apply();
    expect(t.commits).toHaveLength(3);
    expect(await shortfalls(t)).toEqual([['127.0.0.1:7002', 3]]);
    expect(t.logged).toHaveLength(1);
  });

  it('writes the batch again when a master does not answer its WAIT, and commits after', async () => {
    let waitCalls = 0;
    const t = setUp(0, wait, async () => {
      if (++waitCalls === 1) throw new Error('Command timed out');
      return [{ node: '127.0.0.1:7001', acknowledged: 1 }];
    });
    await t.apply();
    expect(t.written).toHaveLength(2); // once before the failed WAIT, once after
    expect(t.commits).toEqual(committed);
    expect((await t.metrics.writeErrors.get()).values[0].value).toBe(1);
    expect(await shortfalls(t)).toEqual([]);
  });

  it('does not wait when FSTORE_WRITER_WAIT_REPLICAS is 0', async () => {
    const t = setUp(0, { replicas: 0, timeoutMs: 500 }, async () => {
      throw new Error('writeAndWait called');
    });
    await t.apply();
    expect(t.waits).toEqual([]);
    expect(t.written).toHaveLength(1);
    expect(t.commits).toEqual(committed);
  });
});

describe('FeatureWriter dead letters', () => {
  it('sends a record it can never apply in the envelope of @fstore/contracts, and commits past it', async () => {
    const bad = {
      offset: '12',
      key: Buffer.from('{"customer_id":"c3"}'),
      value: Buffer.from('{"value":'),
    };
    const t = setUp(0, undefined, undefined, [message(11, 'c2', 7), bad]);
    await t.apply();
    expect(t.written[0].map((w) => w.keyParts[0])).toEqual(['c2']);
    expect(t.sent).toEqual([
      {
        topic: 'dlq',
        messages: [
          {
            key: 'features.last_purchase_amount/0/12',
            value: JSON.stringify({
              service: 'feature-writer',
              reason: {
                field: 'record',
                rule: 'json',
                message: 'not JSON: Unexpected end of JSON input',
              },
              source: {
                service: 'feature-writer',
                topic: 'features.last_purchase_amount',
                partition: 0,
                offset: '12',
              },
              key_base64: bad.key.toString('base64'),
              original_base64: bad.value.toString('base64'),
            }),
            headers: {
              'fstore.service': 'feature-writer',
              'fstore.reason.rule': 'json',
              'fstore.reason.field': 'record',
              'fstore.source.topic': 'features.last_purchase_amount',
              'fstore.source.partition': '0',
              'fstore.source.offset': '12',
            },
          },
        ],
      },
    ]);
    expect(t.commits).toEqual([
      [{ topic: 'features.last_purchase_amount', partition: 0, offset: '13' }],
    ]);
    expect((await t.metrics.deadLettered.get()).values[0].value).toBe(1);
  });
});

describe('FeatureWriter batch wait (fstore_writer_batch_wait_seconds)', () => {
  it('observes, once a batch, how long its oldest record waited before the writer took it', async () => {
    const now = Date.now();
    const t = setUp(0, undefined, undefined, [
      message(10, 'c1', 5, now - 300),
      message(11, 'c2', 7, now - 100),
    ]);
    await t.apply();
    // A timestamp ahead of the writer's clock (another host's skew) counts as no wait.
    const ahead = setUp(0, undefined, undefined, [message(10, 'c1', 5, now + 60_000)]);
    await ahead.apply();
    for (const [metrics, atLeast, below] of [
      [t.metrics, 0.3, 0.5],
      [ahead.metrics, 0, 0.001],
    ] as const) {
      const values = (await metrics.batchWait.get()).values;
      expect(values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1);
      const sum = values.find((v) => v.metricName?.endsWith('_sum'))!.value;
      expect(sum).toBeGreaterThanOrEqual(atLeast);
      expect(sum).toBeLessThan(below);
    }
  });

  it('observes nothing for records without a timestamp', async () => {
    const t = setUp(0);
    await t.apply();
    const values = (await t.metrics.batchWait.get()).values;
    expect(values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(0);
  });
});
