import type { ChildProcess } from 'child_process';
import { loadConfig } from '@fstore/config';
import { FeatureDefinition, STREAM_FEATURES } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { OracleEvent, OracleValue, windowValues } from '../support/oracle';
import { shuffled, StreamScenario } from '../support/stream-scenario';

// Stream time windows end to end (issue 15): events with event times around the test's own clock
// (late and out of order, redelivered, tied, on tile boundaries) → producer → the generated Flink
// job → tile changelogs → feature writer → Redis; every windowed feature of every entity read at
// several read times and compared with the interpreter at the window bounds the read reports.
const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin', {
  commandTimeoutMs: 15000,
});
const WINDOWED = STREAM_FEATURES.filter((f) => f.tiles);
const MIN = 60_000;
const HOUR = 60 * MIN;
jest.setTimeout(480000);

let scenario: StreamScenario | undefined;
afterAll(async () => {
  await scenario?.cleanUp();
  await store.close();
});

/** A small deterministic generator (the same events for the same seed and clock). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Events for `prefix` around `now`: most in the last 70 minutes (the 1h windows), the rest over
 * 26 hours and 8 days; a share exactly on minute boundaries (tile edges) and ties; a few seconds
 * in the future; 5% delivered twice. Customer `<prefix>silent` has events only 61 to 119 minutes
 * back: its hour is empty while its day is not.
 */
function eventsAround(now: number, prefix: string): OracleEvent[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const customers = Array.from({ length: 40 }, (_, i) => `${prefix}c${i}`);
  const products = Array.from({ length: 30 }, (_, i) => `${prefix}p${i}`);
  const categories = Array.from({ length: 4 }, (_, i) => `${prefix}cat${i}`);
  const out: OracleEvent[] = [];
  const event = (i: number, customer: string, t: number): OracleEvent => ({
    event_id: `${prefix}e${i}`,
    customer_id: customer,
    product_id: pick(products),
    category: pick(categories),
    price: (Math.floor(next() * 100000) / 100).toFixed(2),
    quantity: 1 + Math.floor(next() * 5),
    transaction_date: iso(t),
    review_rating: next() < 0.5 ? null : 1 + Math.floor(next() * 5),
  });
  for (let i = 0; i < 3000; i++) {
    const r = next();
    let back =
      r < 0.45 ? next() * 70 * MIN : r < 0.75 ? next() * 26 * HOUR : next() * 8 * 24 * HOUR;
    if (next() < 0.15) back = Math.round(back / MIN) * MIN + (now % MIN); // on a tile edge
    if (next() < 0.05) back = 59 * MIN + next() * 2 * MIN; // about to leave the hour
    if (next() < 0.02) back = -next() * 10_000; // a little ahead of the clock
    out.push(event(i, pick(customers), now - back));
  }
  for (let i = 0; i < 5; i++)
    out.push(event(3000 + i, `${prefix}silent`, now - (61 + i * 12) * MIN));
  // Ties: the same event time for several events of one customer.
  const tie = now - 30 * MIN;
  for (let i = 0; i < 4; i++) out.push(event(3100 + i, customers[0], tie));
  const redelivered = out.filter(() => next() < 0.05);
  return shuffled([...out, ...redelivered]);
}

/** The entity ids of a feature's entity that the events name (and one that never occurs). */
function idsOf(f: FeatureDefinition, events: readonly OracleEvent[], prefix: string): string[][] {
  const keys = f.definition.entity.keys as (keyof OracleEvent)[];
  const ids = new Map(
    events.map((e) => [
      keys.map((k) => String(e[k])).join('\u0000'),
      keys.map((k) => String(e[k])),
    ]),
  );
  return [...ids.values(), keys.map(() => `${prefix}nobody`)];
}

function sameNumber(expected: OracleValue, actual: number): boolean {
  const e = Number(expected.value);
  return expected.kind === 'double'
    ? Math.abs(e - actual) <= 1e-9 * Math.max(1, Math.abs(e))
    : e === actual;
}

interface Difference {
  key: string;
  expected?: string;
  actual?: number;
  window?: string;
}

/**
 * Reads every windowed feature of every entity and compares each value with the interpreter at
 * the window the read reports (for an absent value: at the window of the read time). A read that
 * crossed a tile boundary is read again.
 */
async function differences(events: readonly OracleEvent[], prefix: string): Promise<Difference[]> {
  const out: Difference[] = [];
  for (const f of WINDOWED) {
    const ids = idsOf(f, events, prefix);
    const g = f.tiles!.granularityMs;
    let before: number;
    let after: number;
    let rows: Awaited<ReturnType<typeof store.read>>;
    do {
      before = Date.now();
      rows = await store.read(f.entity, ids, [f]);
      after = Date.now();
    } while (Math.ceil(before / g) !== Math.ceil(after / g));
    const expected = windowValues(f.definition, events, before);
    rows.forEach(([actual], i) => {
      const key = `${f.name}:${ids[i].map((p) => `{${p}}`).join('_')}`;
      const want = expected.values.get(key);
      if (actual?.window) {
        expect(actual.window).toEqual({ start: expected.start, end: expected.end });
      }
      if (!want && !actual) return;
      if (want && actual && sameNumber(want, actual.value)) return;
      out.push({
        key,
        expected: want?.value,
        actual: actual?.value,
        window: `${iso(expected.start)} … ${iso(expected.end)}`,
      });
    });
  }
  return out;
}

async function untilEqual(events: readonly OracleEvent[], prefix: string): Promise<void> {
  const deadline = Date.now() + 180000;
  let last = await differences(events, prefix);
  while (last.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 3000));
    last = await differences(events, prefix);
  }
  expect({ differences: last.length, sample: last.slice(0, 5) }).toEqual({
    differences: 0,
    sample: [],
  });
}

describe('stream time windows, end to end', () => {
  it('equal the interpreter at the bounds each read reports, as events arrive and age out', async () => {
    const s = (scenario = await StreamScenario.create());
    let writer: ChildProcess | undefined;
    const now = Date.now();
    const events = eventsAround(now, s.prefix);
    expect(await s.produce(events)).toMatchObject({ dead_lettered: 0, complete: true });
    await s.startJobs();
    writer = await s.startWriter();
    await untilEqual(events, s.prefix);

    // A window that emptied: the silent customer has no purchase in the last hour (absent), but
    // its day is not empty.
    const purchases = WINDOWED.find((f) => f.name === 'purchases_1h')!;
    const spend = WINDOWED.find((f) => f.name === 'spend_24h')!;
    const silent = [`${s.prefix}silent`];
    expect(await store.read('customer', [silent], [purchases, spend])).toEqual([
      [null, expect.objectContaining({ value: expect.any(Number) })],
    ]);

    // It comes back with a new event; a late event (3 hours back) lands in the day's window.
    const more: OracleEvent[] = [
      {
        ...events[0],
        event_id: `${s.prefix}back`,
        customer_id: silent[0],
        transaction_date: iso(Date.now()),
      },
      { ...events[1], event_id: `${s.prefix}late`, transaction_date: iso(Date.now() - 3 * HOUR) },
    ];
    expect(await s.produce(more)).toMatchObject({ dead_lettered: 0, complete: true });
    const all = [...events, ...more];
    await untilEqual(all, s.prefix);
    const [[back]] = await store.read('customer', [silent], [purchases]);
    expect(back?.value).toBe(1);

    // A later read time: the events that were about to leave the hour have left it, with no new
    // event; the writer killed and restarted on the way changes nothing.
    writer.kill('SIGKILL');
    writer = await s.startWriter();
    const nextTile = Math.ceil(Date.now() / MIN) * MIN + 1000;
    await new Promise((r) => setTimeout(r, nextTile - Date.now()));
    await untilEqual(all, s.prefix);
  });
});
