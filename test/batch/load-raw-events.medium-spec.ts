import { randomUUID } from 'crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { LivyBatchesClient } from '@fstore/livy';
import { sparkDirs } from '../../apps/cli/src/stack/spark';
import { stackContext } from '../../apps/cli/src/stack/stack';
import { batchOutput, sparkSubmit } from '../support/spark';
import { stackWorkDir } from '../support/work-dir';

/**
 * spark-jobs/load_raw_events.py end to end on the real batch stack: submitted through Livy (via
 * @fstore/livy), its tables read back by a second, separate Spark process (spark-submit), all in
 * a database of its own (test_<uuid>) that is dropped at the end. Spark runs are slow here
 * (30–70 s each): two loads run side by side, twice (the second time must change nothing).
 */
const ctx = stackContext();
const livy = LivyBatchesClient.fromConfig(ctx.config);
// The original system's sample data, kept in the repository (samples/).
const SEED = join(PROJECT_ROOT, 'samples', 'ecommerce_transactions.csv');
const JOB = join(PROJECT_ROOT, 'spark-jobs', 'load_raw_events.py');
const REPORT = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'table_report.py');
const db = `test_${randomUUID().replace(/-/g, '')}`;
const dir = stackWorkDir('fstore-load-');

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  event_id: `evt-${i}`,
  customer_id: `c${i % 3}`,
  product_id: `p${i % 2}`,
  category: 'Books',
  price: 10.25,
  quantity: 2,
  transaction_date: `2024-03-0${1 + (i % 2)} 12:00:0${i % 10}`,
  review_rating: null,
  review_text: null,
  customer_age: 40,
  customer_gender: 'Female',
  country: 'Chile',
  device_type: 'Mobile',
  browsing_duration: 12,
  previous_purchases: 0,
  ...extra,
});

/** NDJSON in the producer's message format, with malformed lines and a redelivery. */
const MIXED_LINES = [
  JSON.stringify(event(1)), // 1
  JSON.stringify(event(2, { review_rating: 4, price: '3' })), // 2
  '{"customer_id": "c1", "product_id"', // 3: not JSON
  JSON.stringify(event(3, { price: -5 })), // 4: negative price
  '', // 5: blank, not a record
  JSON.stringify(event(4, { customer_id: '' })), // 6: missing customer
  JSON.stringify(event(5, { transaction_date: '2024-02-30 10:00:00' })), // 7: no such date
  JSON.stringify(event(1)), // 8: redelivery of line 1
  JSON.stringify(event(6, { event_id: null })), // 9: id derived from file and line
];
const MIXED_REJECTS = [
  { line: 3, field: 'row', rule: 'json' },
  { line: 4, field: 'price', rule: 'min' },
  { line: 6, field: 'customer_id', rule: 'required' },
  { line: 7, field: 'transaction_date', rule: 'date' },
];

interface LoadSummary {
  lines: number;
  valid: number;
  rejected: number;
  duplicates_in_file: number;
  already_loaded: number;
  loaded: number;
  rejects_recorded: number;
}

async function runLoad(input: string, table: string, name: string): Promise<number> {
  return livy.submit({ file: JOB, args: ['--input', input, '--table', table], name });
}

async function summaryOf(id: number): Promise<LoadSummary> {
  const [summary] = await batchOutput<LoadSummary>(livy, id, 'LOAD_SUMMARY ');
  return summary;
}

/** Rows per event date of the seed file, read with plain code (the oracle). */
function seedRowsPerDate(): Record<string, number> {
  const [header, ...rows] = readFileSync(SEED, 'utf8').trim().split('\n');
  const col = header.split(',').indexOf('TransactionDate');
  const out: Record<string, number> = {};
  for (const row of rows) {
    const day = row.split(',')[col].slice(0, 10);
    out[day] = (out[day] ?? 0) + 1;
  }
  return out;
}

describe('load_raw_events through Livy, read back by another Spark process', () => {
  let dropped = false;
  beforeAll(() => {
    // Without the stack's Spark configuration a Spark process silently uses a private Derby
    // metastore: fail at once instead (FSTORE_STACK_DIR must name the stack Livy runs from).
    const conf = join(sparkDirs(ctx).conf, 'spark-defaults.conf');
    if (!existsSync(conf)) throw new Error(`${conf} is missing: run \`fstore stack up batch\``);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (!dropped) await sparkSubmit(ctx, REPORT, ['--drop-database', db]).catch(() => undefined);
  }, 300000);

  it('loads the seed (2,000 rows, by event date) and the rejects, and a reload changes nothing', async () => {
    const mixed = join(dir, 'mixed_events.ndjson');
    writeFileSync(mixed, MIXED_LINES.join('\n') + '\n');

    // First load: the seed CSV and the mixed NDJSON side by side.
    const first = await Promise.all([
      runLoad(SEED, `${db}.transactions`, `test-seed-${db}`),
      runLoad(mixed, `${db}.mixed`, `test-mixed-${db}`),
    ]);
    const [seed1, mixed1] = await Promise.all(first.map(summaryOf));
    expect(seed1).toMatchObject({ lines: 2000, valid: 2000, rejected: 0, loaded: 2000 });
    expect(mixed1).toMatchObject({
      lines: 8,
      valid: 4,
      rejected: 4,
      duplicates_in_file: 1,
      loaded: 3,
      rejects_recorded: 4,
    });

    // Second load of the same files: nothing new.
    const second = await Promise.all([
      runLoad(SEED, `${db}.transactions`, `test-seed-again-${db}`),
      runLoad(mixed, `${db}.mixed`, `test-mixed-again-${db}`),
    ]);
    const [seed2, mixed2] = await Promise.all(second.map(summaryOf));
    expect(seed2).toMatchObject({ lines: 2000, already_loaded: 2000, loaded: 0 });
    expect(mixed2).toMatchObject({ already_loaded: 3, loaded: 0, rejects_recorded: 0 });

    // A second Spark process reads what the metastore and the warehouse hold, then drops it all.
    const out = await sparkSubmit(ctx, REPORT, [
      `${db}.transactions`,
      `${db}.mixed`,
      '--drop-database',
      db,
    ]);
    dropped = true;
    const line = out.split('\n').find((l) => l.startsWith('TABLE_REPORT '));
    expect(line).toBeDefined();
    const report = JSON.parse(line!.slice('TABLE_REPORT '.length));
    const seed = report[`${db}.transactions`];
    const perDate = seedRowsPerDate();
    expect(seed).toMatchObject({ rows: 2000, distinct_event_ids: 2000, misplaced: 0 });
    expect(seed.partitions).toBe(Object.keys(perDate).length);
    expect(seed.rows_per_date).toEqual(perDate);
    expect(seed.rejects).toEqual([]);

    const m = report[`${db}.mixed`];
    expect(m).toMatchObject({ rows: 3, distinct_event_ids: 3, partitions: 2, misplaced: 0 });
    expect(m.rows_per_date).toEqual({ '2024-03-01': 2, '2024-03-02': 1 });
    // 2 × 10.25 (twice) + 2 × 3, exact to the cent.
    expect(m.amount_total).toBe('47.00');
    expect(m.rejects).toEqual(MIXED_REJECTS.map((r) => expect.objectContaining(r)));
    for (const r of m.rejects) expect(r.reason).toBeTruthy();

    // The warehouse folder no longer holds the test database.
    expect(existsSync(join(sparkDirs(ctx).warehouse, `${db}.db`))).toBe(false);
  }, 1500000);
});
