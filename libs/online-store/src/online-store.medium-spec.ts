import calculateSlot from 'cluster-key-slot';
import { randomUUID } from 'crypto';
import { SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '@fstore/config';
import { featureByName, featureKey } from '@fstore/contracts';
import { RedisClusterOnlineStore } from './online-store';
import { decodeTile, packTiles } from './tiles';

const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
afterAll(() => store.close());

const avgReview = featureByName('avg_review')!;
const units = featureByName('units_sold')!;

describe('RedisClusterOnlineStore', () => {
  it('writes plain numbers readable with GET, in the format of the spec', async () => {
    const p = `p-${randomUUID()}`;
    await store.write([
      { feature: 'avg_review', keyParts: [p], value: 3.4, eventTime: 1000 },
      { feature: 'revenue_by_product', keyParts: [p], value: '12.5', eventTime: 1000 },
    ]);
    expect(await store.client.get(`avg_review:{${p}}`)).toBe('3.4');
    expect(await store.client.get(`revenue_by_product:{${p}}`)).toBe('12.50');
    expect(await store.client.get(`avg_review:{${p}}:ts`)).toBe('1000');
    expect(featureKey('last_review', ['c1', 'p1'])).toBe('last_review:{c1}_{p1}');
  });

  it('writeAndWait: WAIT on each master that took writes, with the replicas that confirmed', async () => {
    // Entities until every master owns one: the stack has 3 masters, 1 replica each.
    const masters = new Set(
      store.client.nodes('master').map((n) => `${n.options.host}:${n.options.port}`),
    );
    const rows = Array.from({ length: 30 }, () => ({
      feature: 'avg_review',
      keyParts: [`p-${randomUUID()}`],
      value: 1,
      eventTime: 1000,
    }));
    const done = await store.writeAndWait(rows, { replicas: 1, timeoutMs: 500 });
    expect([done.written, done.skippedOlder]).toEqual([30, 0]);
    expect(done.acks.map((a) => a.node).sort()).toEqual([...masters].sort());
    expect(done.acks.map((a) => a.acknowledged)).toEqual([1, 1, 1]);
    // More replicas than a master has: WAIT answers with the one it has, after its timeout.
    const t0 = Date.now();
    const short = await store.writeAndWait(rows.slice(0, 1), { replicas: 2, timeoutMs: 200 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(short.acks).toEqual([{ node: expect.any(String), acknowledged: 1 }]);
    expect(short.written).toBe(1);
  });

  it('never lets an older update overwrite a newer one', async () => {
    const p = `p-${randomUUID()}`;
    const first = await store.write([
      { feature: 'units_sold', keyParts: [p], value: 5, eventTime: 2000 },
    ]);
    const older = await store.write([
      { feature: 'units_sold', keyParts: [p], value: 9, eventTime: 1999 },
    ]);
    expect(first).toEqual({ written: 1, skippedOlder: 0 });
    expect(older).toEqual({ written: 0, skippedOlder: 1 });
    const [[value]] = await store.read('product', [[p]], [units]);
    expect(value).toEqual({ value: 5, eventTime: 2000 });
    // A deletion at a newer time removes the value; an older write cannot bring it back.
    await store.write([{ feature: 'units_sold', keyParts: [p], value: null, eventTime: 3000 }]);
    await store.write([{ feature: 'units_sold', keyParts: [p], value: 7, eventTime: 2500 }]);
    expect(await store.read('product', [[p]], [units])).toEqual([[null]]);
  });

  it('time windows: tiles in a ring of slots, merged inside the window, expiring with it', async () => {
    const purchases = featureByName('purchases_1h')!;
    const MIN = 60_000;
    // Not across a tile boundary between the writes and the reads.
    if (60_000 - (Date.now() % 60_000) < 5000) await new Promise((r) => setTimeout(r, 6000));
    const now = Date.now();
    const tileNow = Math.ceil(now / MIN) * MIN;
    const tile = (end: number, events: number, eventTime = end - 1) => ({
      feature: 'purchases_1h',
      keyParts: [c],
      tile: { end, events, aggregate: null, eventTime },
    });
    const c = `c-${randomUUID()}`;
    // In the window: this tile and 59 before it. Out: 60 tiles back (same slot as one ahead).
    await store.write([tile(tileNow, 2), tile(tileNow - 59 * MIN, 3), tile(tileNow - 60 * MIN, 7)]);
    const key = `purchases_1h:{${c}}`;
    // One string, the records where packTiles puts them (a gap: SETRANGE's zero bytes).
    const tiles = purchases.tiles!;
    const stored = async () => (await store.client.get(key))!.replace(/\0/g, ' ');
    expect(await stored()).toBe(
      packTiles(
        tiles,
        [tileNow, tileNow - 59 * MIN, tileNow - 60 * MIN].map((e, i) => ({
          end: e,
          events: [2, 3, 7][i],
          aggregate: null,
          eventTime: e - 1,
        })),
      ),
    );
    const ttl = await store.client.pttl(key);
    expect(ttl).toBeGreaterThan(tileNow + 60 * MIN - Date.now() - 1000);
    expect(ttl).toBeLessThanOrEqual(tileNow + 60 * MIN - now);
    const [[value]] = await store.read('customer', [[c]], [purchases]);
    expect(value).toEqual({
      value: 5,
      eventTime: tileNow - 1,
      window: { start: tileNow - 60 * MIN, end: tileNow },
    });
    // The slot of the tile 60 minutes back is the one a tile one minute ahead takes; an older
    // tile never replaces a newer one in its slot.
    await store.write([tile(tileNow + MIN, 1)]);
    await store.write([tile(tileNow - 60 * MIN, 9)]);
    expect(decodeTile(tiles, await stored(), (tileNow / MIN + 1) % 61)).toEqual({
      end: tileNow + MIN,
      events: 1,
      aggregate: null,
      eventTime: tileNow + MIN - 1,
    });
    // A window stored as a hash (format 0, field = slot, value = `<end>:<events>:<aggregate>:
    // <event time>`): the next tile written packs it into a string of the same tiles.
    const old = `c-${randomUUID()}`;
    const oldKey = `purchases_1h:{${old}}`;
    await store.client.hset(
      oldKey,
      String((tileNow / MIN - 1) % 61),
      `${tileNow - MIN}:4::${tileNow - MIN - 9}`,
    );
    await store.write([{ ...tile(tileNow, 1), keyParts: [old] }]);
    expect(await store.client.type(oldKey)).toBe('string');
    expect(await store.read('customer', [[old]], [purchases])).toEqual([
      [{ value: 5, eventTime: tileNow - 1, window: { start: tileNow - 60 * MIN, end: tileNow } }],
    ]);
    // The writer packs the hashes left when it starts (as its own Redis user: SCAN in its ACL),
    // so that an entity with no new event reads its window too; a second pass packs nothing.
    const idle = `c-${randomUUID()}`;
    const idleKey = `purchases_1h:{${idle}}`;
    await store.client.hset(
      idleKey,
      String((tileNow / MIN - 2) % 61),
      `${tileNow - 2 * MIN}:3::${tileNow - 2 * MIN - 9}`,
    );
    await store.client.pexpireat(idleKey, tileNow + 58 * MIN);
    const writer = RedisClusterOnlineStore.fromConfig(config, 'feature-writer');
    try {
      expect(await writer.packFormat0Windows([purchases])).toBeGreaterThanOrEqual(1);
      expect(await store.client.type(idleKey)).toBe('string');
      expect(await store.client.pexpiretime(idleKey)).toBe(tileNow + 58 * MIN);
      expect(await store.read('customer', [[idle]], [purchases])).toEqual([
        [
          {
            value: 3,
            eventTime: tileNow - 2 * MIN - 9,
            window: { start: tileNow - 60 * MIN, end: tileNow },
          },
        ],
      ]);
      expect(await writer.packFormat0Windows([purchases])).toBe(0);
    } finally {
      await writer.close();
    }
    // Many entities go through the per-node script, with plain features beside the window.
    const others = Array.from({ length: 200 }, () => `c-${randomUUID()}`);
    await store.write(others.map((o, i) => ({ ...tile(tileNow, i + 1), keyParts: [o] })));
    const amount = featureByName('last_purchase_amount')!;
    await store.write([
      { feature: amount.name, keyParts: [others[0]], value: '9.5', eventTime: 5 },
    ]);
    const rows = await store.read(
      'customer',
      others.map((o) => [o]),
      [purchases, amount],
    );
    rows.forEach((row, i) => expect(row[0]?.value).toBe(i + 1));
    expect(rows[0][1]).toEqual({ value: 9.5, eventTime: 5 });
    expect(rows[1][1]).toBeNull();
    // Tiles already out of every window: the key is not kept at all.
    const gone = `c-${randomUUID()}`;
    await store.write([{ ...tile(tileNow - 61 * MIN, 4), keyParts: [gone] }]);
    expect(await store.client.exists(`purchases_1h:{${gone}}`)).toBe(0);
    expect(await store.read('customer', [[gone]], [purchases])).toEqual([[null]]);
  });

  it('time windows: exact decimal sums at any size; count, avg, min, max of the same tiles; alone as in a batch', async () => {
    const revenue = featureByName('revenue_1h')!; // a sum of decimals, 1-minute tiles
    const as = (op: 'count' | 'sum' | 'avg' | 'min' | 'max') => ({
      ...revenue,
      tiles: { ...revenue.tiles!, op },
    });
    const MIN = 60_000;
    if (60_000 - (Date.now() % 60_000) < 5000) await new Promise((r) => setTimeout(r, 6000));
    const tileNow = Math.ceil(Date.now() / MIN) * MIN;
    // The tile k minutes back holds k + 1 events, the newest 7 ms before its end.
    const tile = (category: string, k: number, aggregate: string) => ({
      feature: revenue.name,
      keyParts: [category],
      tile: { end: tileNow - k * MIN, events: k + 1, aggregate, eventTime: tileNow - k * MIN - 7 },
    });
    const tiles = (category: string, aggregates: string[]) =>
      aggregates.map((aggregate, k) => tile(category, k, aggregate));
    const small = `cat-${randomUUID()}`;
    const large = `cat-${randomUUID()}`;
    const negative = `cat-${randomUUID()}`;
    const others = Array.from({ length: 60 }, () => `cat-${randomUUID()}`);
    await store.write([
      ...tiles(small, ['0.10', '0.20']),
      // Beyond 2^53 cents, mixed signs and scales; the last tile (60 minutes back) is out.
      ...tiles(large, ['90071992547409.93', '12345678901234567890.12', '-0.05', '7', '1.5']),
      tile(large, 60, '99999.99'),
      ...tiles(negative, ['-5.00', '1.25']),
      ...others.flatMap((o) => tiles(o, ['0.10', '0.20'])),
    ]);
    const window = { start: tileNow - 60 * MIN, end: tileNow };
    const ops = ['sum', 'count', 'avg', 'min', 'max'] as const;
    const expected: Record<string, Record<(typeof ops)[number] | 'eventTime', number>> = {
      [small]: { sum: 0.3, count: 3, avg: 0.3 / 3, min: 0.1, max: 0.2, eventTime: tileNow - 7 },
      [large]: {
        sum: Number('12345768973227115308.50'),
        count: 15,
        avg: Number('12345768973227115308.50') / 15,
        min: -0.05,
        max: Number('12345678901234567890.12'),
        eventTime: tileNow - 7,
      },
      [negative]: {
        sum: -3.75,
        count: 3,
        avg: -3.75 / 3,
        min: -5,
        max: 1.25,
        eventTime: tileNow - 7,
      },
    };
    for (const category of [small, large, negative]) {
      const [alone] = await store.read('category', [[category]], ops.map(as));
      const batch = await store.read(
        'category',
        [[category], ...others.map((o) => [o])],
        ops.map(as),
      );
      const want = expected[category];
      expect(alone).toEqual(
        ops.map((op) => ({ value: want[op], eventTime: want.eventTime, window })),
      );
      expect(batch[0]).toEqual(alone);
      batch.slice(1).forEach((row) => expect(row[0]?.value).toBe(0.3));
    }
  });

  it("writes a node's share of a batch in one script call: values and tiles of many slots", async () => {
    const purchases = featureByName('purchases_1h')!;
    const end = Math.ceil(Date.now() / 60_000) * 60_000;
    const ids = Array.from({ length: 300 }, () => `c-${randomUUID()}`);
    const rows = ids.flatMap((c, i) => [
      { feature: 'last_purchase_amount', keyParts: [c], value: `${i}.25`, eventTime: end - 1 },
      {
        feature: 'purchases_1h',
        keyParts: [c],
        tile: { end, events: i + 1, aggregate: null, eventTime: end - 1 },
      },
    ]);
    const commandsSent = countCommandsSent();
    const done = await store.write(rows);
    // One call per master (3), not one per write (600).
    expect(commandsSent()).toBe(3);
    expect(done).toEqual({ written: 600, skippedOlder: 0 });
    const values = await store.read(
      'customer',
      ids.map((c) => [c]),
      [featureByName('last_purchase_amount')!, purchases],
    );
    values.forEach(([last, count], i) => {
      expect(last).toEqual({ value: i + 0.25, eventTime: end - 1 });
      expect(count).toMatchObject({ value: i + 1, eventTime: end - 1 });
    });
    // Again, older: nothing is written, and the call says so.
    const older = ids.map((c) => ({
      feature: 'last_purchase_amount',
      keyParts: [c],
      value: '0',
      eventTime: end - 2,
    }));
    expect(await store.write(older)).toEqual({ written: 0, skippedOlder: 300 });
  });

  it('writes through a stale slot map (a slot moved): that node falls back to a command per write', async () => {
    const stale = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
    try {
      await stale.read('product', [['warm-up']], [avgReview]);
      const ids = Array.from({ length: 50 }, () => `p-${randomUUID()}`);
      // Pretend the first id's slot lives on another master: the script sent there is refused.
      const slots = stale.client.slots;
      const slot = calculateSlot(`{${ids[0]}}`);
      slots[slot] = slots.find((owners) => owners?.[0] && owners[0] !== slots[slot][0])!;
      const done = await stale.write(
        ids.map((p, i) => ({ feature: 'avg_review', keyParts: [p], value: i, eventTime: 7 })),
      );
      expect(done).toEqual({ written: 50, skippedOlder: 0 });
      const rows = await store.read(
        'product',
        ids.map((p) => [p]),
        [avgReview],
      );
      rows.forEach((row, i) => expect(row).toEqual([{ value: i, eventTime: 7 }]));
    } finally {
      await stale.close();
    }
  });

  it('reads many entities across every node, null where absent', async () => {
    const ids = Array.from({ length: 500 }, () => `p-${randomUUID()}`);
    await store.write(
      ids.map((p, i) => ({ feature: 'units_sold', keyParts: [p], value: i, eventTime: 10 + i })),
    );
    const nodes = new Set(ids.map((p) => store.client.slots[calculateSlot(`{${p}}`)][0]));
    expect(nodes.size).toBe(3);
    const rows = await store.read(
      'product',
      ids.map((p) => [p]),
      [units, avgReview],
    );
    rows.forEach((row, i) => expect(row).toEqual([{ value: i, eventTime: 10 + i }, null]));
    expect(await store.read('product', [['a'], ['b']], [])).toEqual([[], []]);
  });

  it('answers concurrent reads each with its own entities, sent together per node', async () => {
    const ids = Array.from({ length: 240 }, () => `p-${randomUUID()}`);
    await store.write(
      ids.map((p, i) => ({ feature: 'units_sold', keyParts: [p], value: i, eventTime: 5 + i })),
    );
    const commandsSent = countCommandsSent();
    // What concurrent requests of a server do: single reads, a batch, another feature set.
    const [singles, batch, others] = await Promise.all([
      Promise.all(ids.map((p) => store.read('product', [[p]], [units]))),
      store.read(
        'product',
        ids.slice(0, 50).map((p) => [p]),
        [units],
      ),
      Promise.all(ids.slice(0, 10).map((p) => store.read('product', [[p]], [avgReview, units]))),
    ]);
    singles.forEach((rows, i) => expect(rows).toEqual([[{ value: i, eventTime: 5 + i }]]));
    batch.forEach((row, i) => expect(row).toEqual([{ value: i, eventTime: 5 + i }]));
    others.forEach((rows, i) => expect(rows).toEqual([[null, { value: i, eventTime: 5 + i }]]));
    // Two feature sets, one script per node each (~80 entities a node, under the 128 a script
    // reads), instead of 251 commands.
    expect(commandsSent()).toBeLessThanOrEqual(6);
  });

  it("makes a traced read's Redis spans under the parent it is given, and none without one", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    try {
      const windowed = featureByName('units_sold_7d')!;
      const ids = Array.from({ length: 30 }, () => `p-${randomUUID()}`);
      await store.write(
        ids.map((p) => ({ feature: 'units_sold', keyParts: [p], value: 1, eventTime: 10 })),
      );
      const parent = provider.getTracer('test').startSpan('GET /v1/features/:entity/:id');
      const parentId = parent.spanContext().spanId;
      // A turn of reads: untraced ones and one traced, sharing a batch; one entity alone.
      await Promise.all([
        store.read('product', [[ids[0]]], [units]),
        store.read('product', [[ids[1]]], [units], parent),
      ]);
      // One script per node of the two entities, each a child of the traced read.
      const slotNodes = (parts: string[]) =>
        new Set(parts.map((p) => store.client.slots[calculateSlot(`{${p}}`)][0]));
      const shared = exporter.getFinishedSpans();
      expect(shared.map((s) => s.name)).toEqual([...slotNodes(ids.slice(0, 2))].map(() => 'eval'));
      for (const span of shared) expect(span.parentSpanContext?.spanId).toBe(parentId);
      exporter.reset();
      await store.read('product', [[ids[2]]], [units, windowed], parent);
      const single = exporter.getFinishedSpans();
      // The plain values and the window's string: one MGET.
      expect(single.map((s) => s.name)).toEqual(['mget']);
      const node = store.client.slots[calculateSlot(`{${ids[2]}}`)][0];
      for (const span of single) {
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(span.parentSpanContext?.spanId).toBe(parentId);
        expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
        expect(span.attributes).toEqual({
          'db.system.name': 'redis',
          'db.query.text': span.name,
          'server.address': node.split(':')[0],
          'server.port': Number(node.split(':')[1]),
        });
      }
      exporter.reset();
      // Many entities: one script per node, each a span.
      await store.read(
        'product',
        ids.map((p) => [p]),
        [units],
        parent,
      );
      const nodes = slotNodes(ids);
      const scripts = exporter.getFinishedSpans();
      expect(scripts.map((s) => s.name)).toEqual([...nodes].map(() => 'eval'));
      expect(
        new Set(
          scripts.map((s) => `${s.attributes['server.address']}:${s.attributes['server.port']}`),
        ),
      ).toEqual(nodes);
      exporter.reset();
      await store.read(
        'product',
        ids.map((p) => [p]),
        [units],
      );
      await store.read('product', [[ids[3]]], [units]);
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      trace.disable();
      await provider.shutdown();
    }
  });

  it('reads many composite entities (customer_product) by their key parts', async () => {
    const lastReview = featureByName('last_review')!;
    const pairs = Array.from({ length: 20 }, () => [`c-${randomUUID()}`, `p-${randomUUID()}`]);
    await store.write(
      pairs.map((keyParts, i) => ({
        feature: 'last_review',
        keyParts,
        value: 1 + (i % 5),
        eventTime: 7,
      })),
    );
    expect(await store.client.get(featureKey('last_review', pairs[0]))).toBe('1');
    const rows = await store.read(
      'customer_product',
      [...pairs, ['c-none', 'p-none']],
      [lastReview],
    );
    expect(rows).toEqual([...pairs.map((_, i) => [{ value: 1 + (i % 5), eventTime: 7 }]), [null]]);
  });

  it('keeps every value in its place when one breaks the format (a comma in it)', async () => {
    const ids = Array.from({ length: 30 }, () => `p-${randomUUID()}`);
    await store.write(
      ids.map((p, i) => ({ feature: 'units_sold', keyParts: [p], value: i, eventTime: 9 })),
    );
    await store.client.set(featureKey('units_sold', [ids[3]]), '1,5');
    const rows = await store.read(
      'product',
      ids.map((p) => [p]),
      [units],
    );
    rows.forEach((row, i) => expect(row).toEqual([{ value: i === 3 ? NaN : i, eventTime: 9 }]));
  });

  it('reads through a stale slot map (a slot moved): that node falls back to MGETs', async () => {
    const stale = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
    try {
      const ids = Array.from({ length: 50 }, () => `p-${randomUUID()}`);
      await store.write(
        ids.map((p, i) => ({ feature: 'avg_review', keyParts: [p], value: i, eventTime: 5 })),
      );
      await stale.read('product', [['warm-up']], [avgReview]);
      // Pretend the first id's slot lives on another master: the script sent there fails.
      const slots = stale.client.slots;
      const slot = calculateSlot(`{${ids[0]}}`);
      const other = slots.find((owners) => owners?.[0] && owners[0] !== slots[slot][0])!;
      slots[slot] = other;
      const rows = await stale.read(
        'product',
        ids.map((p) => [p]),
        [avgReview, units],
      );
      rows.forEach((row, i) => expect(row).toEqual([{ value: i, eventTime: 5 }, null]));
    } finally {
      await stale.close();
    }
  });
});

/** Counts the commands the store sends to the masters until the returned function is called. */
function countCommandsSent(): () => number {
  const spies = store.client.nodes('master').map((node) => jest.spyOn(node, 'sendCommand'));
  return () => {
    const sent = spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    spies.forEach((spy) => spy.mockRestore());
    return sent;
  };
}
