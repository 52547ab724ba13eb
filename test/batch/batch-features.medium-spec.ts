import { join } from 'path';
import { FEATURES, featureByName } from '@fstore/contracts';
import { generate } from '@fstore/generator';
import {
  batchFeatures,
  eventTimeMs,
  historyFeatures,
  OracleEvent,
  OracleValue,
  sameValue,
} from '../support/oracle';
import { keysOfRun } from '../support/redis-keys';
import { BatchFeaturesRun } from '../support/batch-run';
import { readEventsOfRun, writeNdjson } from '../support/events-file';

/**
 * spark-jobs/batch_features.py on the real batch stack, compared with the oracle: 90 days of
 * generated events (repeated keys, redeliveries, events on the window's edges) loaded by
 * load_raw_events through Livy into a database of this run (test_<uuid>), the batch job through
 * Livy into the real Redis Cluster and a history table, the history read back by a separate
 * Spark process. Entity ids and categories carry a run prefix, so the Redis keys checked (and
 * removed at the end) are only this run's. Four Spark runs, 40–150 s each here.
 */
const batch = new BatchFeaturesRun('t', 'fstore-batch-features-');
const { store, run, prefix, work } = batch;
const BATCH = FEATURES.filter((f) => f.engine === 'batch').map((f) => f.name);
// Stream time windows: computed as of T into the history, never written to Redis.
const WINDOWS = FEATURES.filter((f) => f.engine === 'stream' && f.tiles).map((f) => f.name);
const DAY = 24 * 3600 * 1000;

// Inside the data (2024-01-01 … 2024-03-30), after its end (window partly empty), and a backfill.
const T_INSIDE = '2024-02-20T13:37:00.000Z';
const T_AFTER = '2024-04-10T00:00:00.000Z';
const BACKFILL = [
  '2024-03-01T00:00:00.000Z',
  '2024-03-02T00:00:00.000Z',
  '2024-03-03T00:00:00.000Z',
];
const ms = (iso: string) => Date.parse(iso);

interface FeatureCounts {
  values: number;
  written: number;
  deleted: number;
  skipped_newer: number;
}
interface Summary {
  as_of: string;
  as_of_ms: number;
  partitions_read: number;
  rows_read: number;
  online: string;
  deletions_from: string | null;
  features: Record<string, FeatureCounts>;
  history_only: string[];
  history_rows: number;
  duration_s: number;
}
interface HistoryRow {
  entity: string;
  entity_id: string;
  feature: string;
  key: string;
  value: string;
  as_of: number;
  as_of_ms: number;
  as_of_date: string;
}
interface HistoryReport {
  partitions: string[];
  properties: Record<string, string>;
  rows: HistoryRow[];
}

let events: OracleEvent[] = [];
/** What the history holds as of T: the batch features and the stream windows. */
const history = (t: string) => historyFeatures(events, ms(t));

/** Events at the edges of T_INSIDE's window, for a product and a category of their own. */
function edgeEvents(template: Record<string, unknown>): Record<string, unknown>[] {
  const at = (offsetMs: number) =>
    new Date(ms(T_INSIDE) + offsetMs).toISOString().replace('T', ' ').replace('Z', '');
  const edge = (
    id: string,
    time: string,
    price: number,
    quantity: number,
    rating: number | null,
  ) => ({
    ...template,
    event_id: `${prefix}edge-${id}`,
    product_id: `${prefix}edge`,
    category: `${prefix}Edge`,
    transaction_date: time,
    price,
    quantity,
    review_rating: rating,
  });
  return [
    edge('start', at(-30 * DAY), 1, 7, 1), // T − 30 days: out (the window is open there)
    edge('after-start', at(-30 * DAY + 1), 0.01, 3, 5), // in
    edge('end', at(0), 19.99, 2, null), // T itself: in
    edge('after-end', at(1), 1, 100, 1), // out
  ];
}

/** 3,000 generated events over 90 days (5 % redelivered), made this run's, plus the edges. */
async function writeEvents(): Promise<string> {
  const raw = join(work, 'generated.ndjson');
  await generate({
    rows: 3000,
    seed: 11,
    out: raw,
    format: 'ndjson',
    customers: 300,
    products: 150,
    categories: 5,
    start: '2024-01-01',
    spanDays: 90,
    duplicates: 0.05,
  });
  const rows = readEventsOfRun(raw, prefix, ['customer_id', 'product_id', 'category']);
  rows.push(...edgeEvents(rows[0]));
  events = rows as unknown as OracleEvent[];
  const file = join(work, `events-${run}.ndjson`);
  writeNdjson(file, rows);
  return file;
}

const runBatch = (asOf: string[], name: string): Promise<Summary[]> =>
  batch.runBatch<Summary>(
    asOf.flatMap((t) => ['--as-of', t]),
    name,
  );

const redisKeys = () => keysOfRun(store, prefix);

function valuesOnly(keys: Map<string, string>): Map<string, string> {
  return new Map([...keys].filter(([k]) => !k.endsWith(':ts')));
}

/** Redis holds exactly the oracle's keys, each with its event time T; `gone` keys only a tombstone. */
function expectRedis(
  keys: Map<string, string>,
  expected: Map<string, OracleValue>,
  asOf: number,
  gone: Set<string> = new Set(),
): void {
  const values = valuesOnly(keys);
  expect([...values.keys()].sort()).toEqual([...expected.keys()].sort());
  const wrong = [...expected]
    .filter(([k, v]) => !sameValue(v, values.get(k) ?? null))
    .map(([k, v]) => `${k}: expected ${v.value}, got ${values.get(k)}`);
  expect(wrong).toEqual([]);
  for (const k of values.keys()) expect([k, keys.get(`${k}:ts`)]).toEqual([k, String(asOf)]);
  const tombstones = [...keys.keys()].filter(
    (k) => k.endsWith(':ts') && !values.has(k.slice(0, -3)),
  );
  expect(tombstones.map((k) => k.slice(0, -3)).sort()).toEqual([...gone].sort());
  for (const k of tombstones) expect(keys.get(k)).toBe(String(asOf));
}

const featureOf = (key: string) => key.slice(0, key.indexOf(':'));
function countByFeature(keys: Iterable<string>): Record<string, number> {
  const out = Object.fromEntries([...BATCH, ...WINDOWS].map((f) => [f, 0]));
  for (const k of keys) out[featureOf(k)]++;
  return out;
}

function expectCounts(s: Summary, expected: Map<string, OracleValue>, deleted: Set<string>) {
  const values = countByFeature(expected.keys());
  const gone = countByFeature(deleted);
  for (const f of BATCH) {
    expect([f, s.features[f]]).toEqual([
      f,
      { values: values[f], written: values[f], deleted: gone[f], skipped_newer: 0 },
    ]);
  }
  // The stream windows as of T: values for the history, nothing written to Redis.
  const windows = countByFeature(history(s.as_of).keys());
  for (const f of WINDOWS) {
    expect([f, s.features[f]]).toEqual([
      f,
      { values: windows[f], written: 0, deleted: 0, skipped_newer: 0 },
    ]);
  }
  expect(s.history_only).toEqual(WINDOWS);
}

/** Unique events in (T − 30 days, T]: what the job must read. */
function eventsIn(asOf: number): number {
  const ids = new Set(
    events
      .filter((e) => eventTimeMs(e.transaction_date) > asOf - 30 * DAY)
      .filter((e) => eventTimeMs(e.transaction_date) <= asOf)
      .map((e) => e.event_id),
  );
  return ids.size;
}

function minus<T>(a: Iterable<T>, b: { has(x: T): boolean }): Set<T> {
  return new Set([...a].filter((x) => !b.has(x)));
}

describe('batch_features through Livy: Redis and the history equal the oracle', () => {
  const oracle = (t: string) => batchFeatures(events, ms(t));

  beforeAll(async () => {
    batch.prepare();
    const file = await writeEvents();
    const load = await batch.load(file);
    expect(load.loaded).toBe(new Set(events.map((e) => e.event_id)).size);
    expect(load.duplicates_in_file).toBeGreaterThan(50);
  }, 600000);

  afterAll(async () => {
    await batch.cleanUp();
  }, 300000);

  it('as of a time inside the data: every key equals the oracle, edges of the window included', async () => {
    const [s] = await runBatch([T_INSIDE], 'inside');
    const expected = oracle(T_INSIDE);
    expect(s).toMatchObject({ as_of_ms: ms(T_INSIDE), online: 'written', deletions_from: null });
    expect(s.rows_read).toBe(eventsIn(ms(T_INSIDE)));
    // Partition pruning: 31 dates can hold a 30-day window; the table has 90.
    expect(s.partitions_read).toBe(31);
    expectCounts(s, expected, new Set());
    expectRedis(await redisKeys(), expected, ms(T_INSIDE));
    // The window (T − 30 days, T]: 0.01 × 3 + 19.99 × 2, 3 + 2 units, rating 5 only.
    expect(expected.get(`units_sold:{${prefix}edge}`)?.value).toBe('5');
    expect(expected.get(`revenue_by_product:{${prefix}edge}`)?.value).toBe('40.01');
    expect(expected.get(`avg_review_rating:{${prefix}edge}`)?.value).toBe('5');
  }, 600000);

  it('after the end of the data, a backfill, then a day and the latest again: vanished keys deleted, the backfill offline, the runs again change nothing', async () => {
    // One Spark run, the as-of times in this order.
    const summaries = await runBatch([T_AFTER, ...BACKFILL, BACKFILL[1], T_AFTER], 'after');
    const expected = oracle(T_AFTER);
    const gone = minus(oracle(T_INSIDE).keys(), expected);
    expect(gone.size).toBeGreaterThan(10);
    expect(countByFeature(gone).avg_review_rating).toBeGreaterThan(0);
    expect(summaries.map((s) => s.as_of)).toEqual([T_AFTER, ...BACKFILL, BACKFILL[1], T_AFTER]);

    const [after, d1, d2, d3, d2Again, afterAgain] = summaries;
    expect(after).toMatchObject({ online: 'written', deletions_from: T_INSIDE });
    expect(after.rows_read).toBe(eventsIn(ms(T_AFTER)));
    expect(after.partitions_read).toBe(20); // 2024-03-11 … 2024-03-30
    expectCounts(after, expected, gone);
    for (const [i, s] of [d1, d2, d3].entries()) {
      expect(s.online).toBe('not written: backfill, Redis holds as-of 2024-04-10T00:00:00.000Z');
      expect(s.rows_read).toBe(eventsIn(ms(BACKFILL[i])));
      expect(s.history_rows).toBe(history(BACKFILL[i]).size);
    }
    expect(d2Again).toEqual({ ...d2, duration_s: d2Again.duration_s });
    // The latest again: the same values written, nothing to delete (its own snapshot is Redis's).
    expect(afterAgain).toMatchObject({ online: 'written', deletions_from: T_AFTER });
    expectCounts(afterAgain, expected, new Set());
    expectRedis(await redisKeys(), expected, ms(T_AFTER), gone);
  }, 900000);

  it('the history holds one snapshot per as-of, equal to the oracle', async () => {
    const report = (await batch.historyReport<HistoryReport>())!;
    expect(report).toBeDefined();
    const asOfs = [T_INSIDE, T_AFTER, ...BACKFILL];
    expect(report.partitions).toEqual(
      asOfs.map((t) => `as_of_date=${t.slice(0, 10)}/as_of_ms=${ms(t)}`).sort(),
    );
    expect(report.properties['fstore.online_as_of_ms']).toBe(String(ms(T_AFTER)));
    for (const t of asOfs) {
      const rows = report.rows.filter((r) => r.as_of_ms === ms(t));
      const expected = history(t);
      expect([t, rows.length]).toEqual([t, expected.size]);
      const wrong = rows.filter((r) => !sameValue(expected.get(r.key)!, r.value));
      expect(wrong).toEqual([]);
      for (const r of rows) {
        expect(r).toMatchObject({ as_of: ms(t), as_of_date: t.slice(0, 10) });
        expect(r.key).toBe(`${r.feature}:{${r.entity_id}}`);
        expect(r.entity).toBe(featureByName(r.feature)?.entity);
      }
    }
  }, 600000);
});
