import { join } from 'path';
import { FEATURES } from '@fstore/contracts';
import {
  batchFeatures,
  featureValues,
  historyFeatures,
  OracleEvent,
  OracleValue,
  sameValue,
} from '../support/oracle';
import { keysOfRun } from '../support/redis-keys';
import { BatchFeaturesRun } from '../support/batch-run';
import { writeNdjson } from '../support/events-file';

/**
 * The batch form of the stream time windows (issue 15): spark-jobs/batch_features.py computes
 * every stream window as of T over (T − W, T] into the history (never into Redis, where the
 * stream writer keeps its tiles under the same key), and the history equals the interpreter's
 * featureValues(f, events, T) for every stream window and every entity. Events with event times
 * around the test's own clock (ties, redeliveries, unrated events, events exactly on each
 * window's edges) are loaded through Livy into a database of this run; T is the end of the current
 * tile of each granularity (1 min, 24 min, 168 min): what a read now is served online.
 */
const batch = new BatchFeaturesRun('w', 'fstore-batch-windows-');
const { store, run, prefix, work } = batch;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const WINDOWS = FEATURES.filter((f) => f.tiles);
const now = Date.now();
/** The end of the current tile of each distinct granularity, ascending (each a multiple of g). */
const AS_OF = [...new Set(WINDOWS.map((f) => f.tiles!.granularityMs))]
  .map((g) => Math.ceil(now / g) * g)
  .filter((t, i, all) => all.indexOf(t) === i)
  .sort((a, b) => a - b);
const LATEST = AS_OF[AS_OF.length - 1];
const WINDOW_LENGTHS = [...new Set(WINDOWS.map((f) => f.tiles!.windowMs))];
const iso = (t: number) => new Date(t).toISOString();

interface Summary {
  as_of_ms: number;
  online: string;
  features: Record<string, { values: number; written: number; deleted: number }>;
  history_only: string[];
  history_rows: number;
}
interface HistoryRow {
  feature: string;
  key: string;
  value: string;
  entity: string;
  entity_id: string;
  as_of_ms: number;
}

/** A small deterministic generator (the same events for the same seed and clock). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** The entities of the events on the edges of window `w` as of `asOf`: their own ones. */
const edgeId = (asOf: number, w: number) => `${prefix}edge-${asOf}-${w}`;

/**
 * 2,000 events around the clock: most in the last 70 minutes, the rest over 26 hours and 8 days, a
 * share on minute boundaries (tile edges), a few ahead of the clock up to the latest T, ties of
 * one customer, about half unrated; for each T and window length W, four events of an entity of
 * their own at T − W (out), T − W + 1 ms (in), T (in) and T + 1 ms (out); 5 % delivered twice.
 */
function eventsAround(): OracleEvent[] {
  const next = random(7);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const customers = Array.from({ length: 40 }, (_, i) => `${prefix}c${i}`);
  const products = Array.from({ length: 30 }, (_, i) => `${prefix}p${i}`);
  const categories = Array.from({ length: 4 }, (_, i) => `${prefix}cat${i}`);
  const event = (id: string, t: number, who?: string): OracleEvent => ({
    event_id: `${prefix}${id}`,
    customer_id: who ?? pick(customers),
    product_id: who ?? pick(products),
    category: who ?? pick(categories),
    price: (Math.floor(next() * 100000) / 100).toFixed(2),
    quantity: 1 + Math.floor(next() * 5),
    transaction_date: iso(t),
    review_rating: next() < 0.5 ? null : 1 + Math.floor(next() * 5),
  });
  const out: OracleEvent[] = [];
  for (let i = 0; i < 2000; i++) {
    const r = next();
    let back = r < 0.4 ? next() * 70 * MIN : r < 0.7 ? next() * 26 * HOUR : next() * 8 * DAY;
    if (next() < 0.15) back = Math.round(back / MIN) * MIN + (now % MIN); // on a minute
    if (next() < 0.03) back = -next() * (LATEST - now); // ahead of the clock, ≤ the latest T
    out.push(event(`e${i}`, now - back));
  }
  const tie = now - 20 * MIN;
  for (let i = 0; i < 4; i++) out.push(event(`tie${i}`, tie, customers[0]));
  for (const t of AS_OF) {
    for (const w of WINDOW_LENGTHS) {
      const who = edgeId(t, w);
      out.push(event(`${who}-start`, t - w, who));
      out.push(event(`${who}-after-start`, t - w + 1, who));
      out.push(event(`${who}-end`, t, who));
      out.push(event(`${who}-after-end`, t + 1, who));
    }
  }
  const redelivered = out.filter(() => next() < 0.05);
  return [...out, ...redelivered];
}

const events = eventsAround();
const runBatch = (args: string[], name: string): Promise<Summary[]> =>
  batch.runBatch<Summary>(args, name);

/** This run's values in Redis (without the `:ts` keys). */
async function redisValues(): Promise<Map<string, string>> {
  const keys = await keysOfRun(store, prefix);
  return new Map([...keys].filter(([k]) => !k.endsWith(':ts')));
}

/** The keys where `actual` differs from `expected` (absent on one side included). */
function differences(expected: Map<string, OracleValue>, actual: Map<string, string>): string[] {
  const keys = new Set([...expected.keys(), ...actual.keys()]);
  return [...keys]
    .filter((k) => {
      const want = expected.get(k);
      const got = actual.get(k);
      return !(want && got !== undefined && sameValue(want, got));
    })
    .map((k) => `${k}: expected ${expected.get(k)?.value}, got ${actual.get(k)}`)
    .sort();
}

beforeAll(async () => {
  batch.prepare();
  const file = join(work, `events-${run}.ndjson`);
  writeNdjson(file, events);
  const load = await batch.load(file);
  expect(load.loaded).toBe(new Set(events.map((e) => e.event_id)).size);
  expect(load.duplicates_in_file).toBeGreaterThan(50);
}, 600000);

afterAll(async () => {
  await batch.cleanUp();
}, 300000);

describe('stream time windows in the batch job: the history as of T equals the interpreter', () => {
  let redisAfterFirstRun = new Map<string, string>();

  it('as of the end of the current tile of each granularity: stream windows counted for the history, Redis gets the batch features only', async () => {
    expect(AS_OF.length).toBeGreaterThanOrEqual(1);
    const summaries = await runBatch(
      AS_OF.flatMap((t) => ['--as-of', iso(t)]),
      'windows',
    );
    expect(summaries.map((s) => [s.as_of_ms, s.online])).toEqual(AS_OF.map((t) => [t, 'written']));
    for (const s of summaries) {
      expect(s.history_only).toEqual(WINDOWS.map((f) => f.name));
      for (const f of WINDOWS) {
        const n = featureValues(f.definition, events, s.as_of_ms).size;
        expect([f.name, s.features[f.name]]).toEqual([
          f.name,
          expect.objectContaining({ values: n, written: 0, deleted: 0 }),
        ]);
      }
      expect(s.history_rows).toBe(historyFeatures(events, s.as_of_ms).size);
    }
    // Redis: exactly the batch features as of the latest T; no key of a stream window (online
    // those are the stream writer's tiles).
    redisAfterFirstRun = await redisValues();
    expect(differences(batchFeatures(events, LATEST), redisAfterFirstRun)).toEqual([]);
    const windowKeys = [...(await keysOfRun(store, prefix)).keys()].filter((k) =>
      WINDOWS.some((f) => k.startsWith(`${f.name}:`)),
    );
    expect(windowKeys).toEqual([]);
  }, 900000);

  it('stream windows selected by name: the history only, the rest of the snapshot kept, Redis untouched', async () => {
    const names = ['purchases_1h', 'units_sold_7d'];
    const [s] = await runBatch(['--as-of', iso(LATEST), '--features', names.join(',')], 'named');
    expect(s.online).toBe('not written: no batch feature selected (stream windows: history)');
    expect(Object.keys(s.features)).toEqual(names);
    expect(s.history_only).toEqual(names);
    // The snapshot of LATEST still holds every feature (those not computed now kept).
    expect(s.history_rows).toBe(historyFeatures(events, LATEST).size);
    expect(await redisValues()).toEqual(redisAfterFirstRun);
  }, 600000);

  it('the history as of each T: every stream window of every entity equals featureValues(f, events, T), absent where it has none', async () => {
    const report = (await batch.historyReport<{
      rows: HistoryRow[];
      properties: Record<string, string>;
    }>())!;
    expect(report).toBeDefined();
    expect(report.properties['fstore.online_as_of_ms']).toBe(String(LATEST));
    for (const t of AS_OF) {
      const rows = report.rows.filter((r) => r.as_of_ms === t);
      expect([iso(t), rows.length]).toEqual([iso(t), new Set(rows.map((r) => r.key)).size]);
      for (const f of WINDOWS) {
        const expected = featureValues(f.definition, events, t);
        expect(expected.size).toBeGreaterThan(3);
        const actual = new Map(
          rows.filter((r) => r.feature === f.name).map((r) => [r.key, r.value]),
        );
        expect([f.name, iso(t), differences(expected, actual)]).toEqual([f.name, iso(t), []]);
        for (const r of rows.filter((x) => x.feature === f.name)) {
          expect(r).toMatchObject({ entity: f.entity, key: `${f.name}:{${r.entity_id}}` });
        }
      }
      // The batch features of the snapshot too, and nothing else.
      expect(
        differences(historyFeatures(events, t), new Map(rows.map((r) => [r.key, r.value]))),
      ).toEqual([]);

      // On the edges, by hand: (T − W, T] holds the events at T − W + 1 ms and at T.
      const hour = rows.find((r) => r.key === `purchases_1h:{${edgeId(t, HOUR)}}`);
      expect(hour?.value).toBe('2');
      const week = rows.find((r) => r.key === `units_sold_7d:{${edgeId(t, 7 * DAY)}}`);
      const inside = ['after-start', 'end'].map((x) => `${prefix}${edgeId(t, 7 * DAY)}-${x}`);
      const units = [...new Map(events.map((e) => [e.event_id, e])).values()]
        .filter((e) => inside.includes(e.event_id))
        .reduce((n, e) => n + e.quantity, 0);
      expect(week?.value).toBe(String(units));
    }
  }, 600000);
});
