import { spawn, spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { FEATURES, REGISTRY } from '@fstore/contracts';
import { LivyBatchesClient } from '@fstore/livy';
import { generate } from '@fstore/generator';
import { call } from '../../apps/cli/src/control/jobs-command';
import { projectVenv } from '../../apps/cli/src/stack/spark';
import { stackContext } from '../../apps/cli/src/stack/stack';
import {
  TrainingSetInputError,
  trainingSet,
  TrainingSetResult,
} from '../../apps/cli/src/training/training-set';
import { eventTimeMs, OracleEvent, sameValue, valueAt } from '../support/oracle';
import { batchOutput, sparkSubmit } from '../support/spark';
import { stackWorkDir } from '../support/work-dir';

/**
 * Point-in-time correct training sets (spark-jobs/training_set.py) through the control plane, on
 * the real stack: 2,000 generated events over 60 days (5 % redelivered, ties) loaded into a
 * database of this run, three batch snapshots computed by batch_features (history only), then
 * 10,000 entity rows (times before the first event, exactly at events and ties, a millisecond
 * either side, on window edges and snapshots, after the last event; entities that never existed)
 * through `fstore training-set`'s code: every value of every feature equals the interpreter's
 * (test/support/interpreter.ts valueAt). Then extreme events right after the rows' times are
 * loaded, and the Python client (clients/python) gets the same rows again: nothing changes (no
 * leakage). Bad input is refused before any run where it can be seen, else the run fails naming it.
 */
const ctx = stackContext();
const livy = LivyBatchesClient.fromConfig(ctx.config);
const run = randomUUID().replace(/-/g, '');
const db = `test_${run}`;
const prefix = `ts${run.slice(0, 8)}-`;
const work = stackWorkDir('fstore-training-set-');
const LOAD_JOB = join(PROJECT_ROOT, 'spark-jobs', 'load_raw_events.py');
const BATCH_JOB = join(PROJECT_ROOT, 'spark-jobs', 'batch_features.py');
const REPORT = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'history_report.py');
const NAMES = FEATURES.map((f) => f.name);
const ROWS = 10_000;
const SNAPSHOTS = [
  '2024-01-20T00:00:00.000Z',
  '2024-02-10T12:00:00.000Z',
  '2024-02-25T00:00:00.000Z',
];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let events: OracleEvent[] = [];
let rows: Record<string, string>[] = [];
let first: TrainingSetResult;
let firstValues: Record<string, string | null>[] = [];

/** A mulberry32 stream: the same rows every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function load(file: string, name: string): Promise<void> {
  const id = await livy.submit({
    file: LOAD_JOB,
    args: ['--input', file, '--table', `${db}.transactions`],
    name: `test-${name}-${db}`,
  });
  await batchOutput(livy, id, 'LOAD_SUMMARY ');
}

function writeNdjson(name: string, list: object[]): string {
  const file = join(work, `${name}-${run}.ndjson`);
  writeFileSync(file, list.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The rows' times: every kind of edge a point-in-time join can get wrong. */
function rowTimes(): number[] {
  const times = events.map((e) => eventTimeMs(e.transaction_date)).sort((a, b) => a - b);
  const counts = new Map<number, number>();
  for (const t of times) counts.set(t, (counts.get(t) ?? 0) + 1);
  const ties = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
  const pick = (list: number[], n: number) =>
    Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
  const at = [...pick(times, 24), ...ties.slice(0, 8)];
  const snaps = SNAPSHOTS.map(Date.parse);
  return [
    times[0] - DAY, // before the first event
    times[0],
    ...at,
    ...at.flatMap((t) => [t - 1, t + 1]),
    ...pick(times, 6).flatMap((t) => [t + HOUR, t + DAY, t + 7 * DAY]), // window edges
    ...snaps.flatMap((s) => [s - 1, s, s + 1]),
    times[times.length - 1],
    times[times.length - 1] + 30 * DAY, // after the last event
  ];
}

/** A time as the rows' file writes it: three forms, all UTC. */
function formatTime(ms: number, i: number): string {
  const text = iso(ms);
  if (i % 3 === 0) return text;
  if (i % 3 === 1) return text.replace('T', ' ').replace('Z', '');
  // +02:00: the same instant
  const local = new Date(ms + 2 * HOUR).toISOString().replace('Z', '+02:00');
  return local;
}

function entityRows(): Record<string, string>[] {
  const rnd = random(7);
  const customers = [...new Set(events.map((e) => e.customer_id))];
  const products = [...new Set(events.map((e) => e.product_id))];
  const categories = [...new Set(events.map((e) => e.category))];
  const times = rowTimes();
  const one = <T>(list: T[]) => list[Math.floor(rnd() * list.length)];
  // A hundred events whose own entities and times rows take (the interpreter then answers from
  // a few hundred distinct times).
  const anchors = Array.from({ length: 100 }, () => one(events));
  const out: Record<string, string>[] = [];
  for (let i = 0; i < ROWS; i++) {
    const kind = rnd();
    const e = one(events);
    if (kind < 0.1) {
      // An entity that never existed.
      out.push({
        customer_id: `${prefix}ghost-${i}`,
        product_id: `${prefix}ghost-p`,
        category: `${prefix}Ghost`,
        event_timestamp: formatTime(one(times), i),
        label: String(i % 2),
      });
    } else if (kind < 0.5) {
      // An event's own entities, at its time or just around it (the short windows see it).
      const a = one(anchors);
      const t = eventTimeMs(a.transaction_date) + one([0, 0, -1, 1, 30 * 60_000, HOUR]);
      out.push({
        customer_id: a.customer_id,
        product_id: a.product_id,
        category: a.category,
        event_timestamp: formatTime(t, i),
        label: String(i % 2),
      });
    } else {
      out.push({
        customer_id: rnd() < 0.5 ? e.customer_id : one(customers),
        product_id: rnd() < 0.5 ? e.product_id : one(products),
        category: rnd() < 0.5 ? e.category : one(categories),
        event_timestamp: formatTime(one(times), i),
        label: String(i % 2),
      });
    }
  }
  return out;
}

function csv(list: Record<string, string>[]): string {
  const cols = Object.keys(list[0]);
  return [cols.join(','), ...list.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n';
}

/** The Parquet the job wrote, as rows of text (decimals as written, doubles as repr). */
function readParquet(location: string): Record<string, string | null>[] {
  const script = `
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
for r in t.to_pylist():
    print(json.dumps({k: None if v is None else str(v) for k, v in r.items()}))
`;
  const out = spawnSync(projectVenv().python, ['-c', script, location.replace(/^file:/, '')], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`reading ${location}: ${out.stderr}`);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string | null>);
}

/** Each value that differs from the interpreter's: row, feature, got, expected. */
function differences(values: Record<string, string | null>[]): string[] {
  const snaps = SNAPSHOTS.map(Date.parse);
  const out: string[] = [];
  values.forEach((v, i) => {
    const t = eventTimeMs(rows[i].event_timestamp);
    for (const f of REGISTRY.features) {
      const parts = f.entity.keys.map((k) => rows[i][k]);
      const want = valueAt(f, events, parts, t, snaps);
      const got = v[f.name];
      const same = want === undefined ? got === null : sameValue(want, got);
      if (!same) out.push(`row ${i} t=${iso(t)} ${f.name}: got ${got}, expected ${want?.value}`);
    }
  });
  return out;
}

async function runsOfJob(): Promise<number> {
  const { runs } = await call('GET', '/v1/runs?job=training-set&limit=500');
  return (runs as unknown[]).length;
}

/**
 * A Python snippet with the client on its path, run asynchronously: the event loop keeps serving
 * the HTTP connections of this process meanwhile (a blocked loop leaves closed keep-alive sockets
 * behind for the next request).
 */
function python(code: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(projectVenv().python, ['-c', code], {
      env: {
        ...process.env,
        PYTHONPATH: join(PROJECT_ROOT, 'clients', 'python', 'src'),
        FSTORE_CONTROL_URL: ctx.config.control.url,
        FSTORE_API_KEY: ctx.config.control.apiKey ?? '',
        FSTORE_CONTROL_LANDING_DIR: ctx.config.control.landingDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  // The definitions batch_features reads: the export of features/ (`fstore features export`).
  const exported = spawnSync(
    'node',
    [join(PROJECT_ROOT, 'bin', 'fstore.js'), 'features', 'export'],
    {
      encoding: 'utf8',
    },
  );
  writeFileSync(join(work, 'definitions.json'), exported.stdout);
  const raw = join(work, 'generated.ndjson');
  await generate({
    rows: 2000,
    seed: 16,
    out: raw,
    format: 'ndjson',
    customers: 150,
    products: 80,
    categories: 4,
    start: '2024-01-01',
    spanDays: 60,
    duplicates: 0.05,
  });
  events = readFileSync(raw, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const e = JSON.parse(line) as OracleEvent;
      return {
        ...e,
        event_id: `${prefix}${e.event_id}`,
        customer_id: `${prefix}${e.customer_id}`,
        product_id: `${prefix}${e.product_id}`,
        category: `${prefix}${e.category}`,
      };
    });
  await load(writeNdjson('events', events), 'load');
  const id = await livy.submit({
    file: BATCH_JOB,
    args: [
      '--definitions',
      join(work, 'definitions.json'),
      ...SNAPSHOTS.flatMap((t) => ['--as-of', t]),
      '--online',
      'never',
      '--table',
      `${db}.transactions`,
      '--history-table',
      `${db}.history`,
    ],
    name: `test-snapshots-${db}`,
  });
  await batchOutput(livy, id, 'BATCH_FEATURES_SUMMARY ');
  rows = entityRows();
}, 900_000);

afterAll(async () => {
  await sparkSubmit(ctx, REPORT, [`${db}.history`, '--drop-database', db]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe('fstore training-set through the control plane and Spark', () => {
  it('10,000 rows × every feature equal the interpreter: stream and batch, every edge', async () => {
    const file = join(work, 'rows.csv');
    writeFileSync(file, csv(rows));
    const steps: string[] = [];
    first = await trainingSet({
      entities: file,
      features: NAMES.join(','),
      out: 'all_features',
      outDatabase: db,
      table: `${db}.transactions`,
      historyTable: `${db}.history`,
      progress: (line) => steps.push(line),
    });
    const s = first.summary;
    expect(s.rows).toBe(ROWS);
    expect(s.table).toBe(`${db}.all_features`);
    expect(s.features).toEqual(NAMES);
    expect(s.snapshots_used).toEqual(SNAPSHOTS);
    expect(steps.some((l) => / entity rows, t from /.test(l))).toBe(true);
    firstValues = readParquet(s.path);
    expect(firstValues).toHaveLength(ROWS);
    // The same rows in the same order, passed through untouched.
    expect(firstValues.map((v) => v.label)).toEqual(rows.map((r) => r.label));
    expect(firstValues.map((v) => v.event_timestamp)).toEqual(rows.map((r) => r.event_timestamp));
    expect(differences(firstValues)).toEqual([]);
    // Nulls as summarized, and not everything null (an empty lake would agree with nothing).
    for (const name of NAMES) {
      const nulls = firstValues.filter((v) => v[name] === null).length;
      expect([name, s.nulls[name]]).toEqual([name, nulls]);
      expect([name, nulls < ROWS * 0.9]).toEqual([name, true]);
    }
    // The run is a control-plane run like any other: audited, its record in success.
    const record = await call('GET', `/v1/runs/${first.run_id}`);
    expect(record).toMatchObject({ job: 'training-set', state: 'success' });
  }, 900_000);

  it('events later than t with extreme values change nothing (the Python client, again)', async () => {
    // Right after each row's time, for its own entities: enormous amounts, ratings of 1 and 5.
    const template = events[0];
    const leaks = rows.slice(0, 400).map((r, i) => ({
      ...template,
      event_id: `${prefix}leak-${i}`,
      customer_id: r.customer_id,
      product_id: r.product_id,
      category: r.category,
      price: 99999999.99,
      quantity: 1000,
      review_rating: i % 2 ? 1 : 5,
      transaction_date: iso(eventTimeMs(r.event_timestamp) + 1 + (i % 3) * HOUR)
        .replace('T', ' ')
        .replace('Z', ''),
    }));
    await load(writeNdjson('leaks', leaks), 'leaks');
    const probe = rows.slice(0, 400);
    writeFileSync(join(work, 'probe.json'), JSON.stringify(probe));
    const out = await python(`
import json, sys
import pandas as pd
from fstore_client import get_historical_features
rows = pd.DataFrame(json.load(open(${JSON.stringify(join(work, 'probe.json'))})))
df = get_historical_features(rows, ${JSON.stringify(NAMES)}, timestamp_column="event_timestamp",
    name="after_leaks", out_database=${JSON.stringify(db)}, table=${JSON.stringify(`${db}.transactions`)},
    history_table=${JSON.stringify(`${db}.history`)})
print("SUMMARY " + json.dumps(df.attrs["fstore_summary"]))
for r in df.to_dict(orient="records"):
    print("ROW " + json.dumps({k: None if v is None or v != v else str(v) for k, v in r.items()}))
`);
    expect([out.status, out.stderr.slice(-2000)]).toEqual([0, expect.anything()]);
    const lines = out.stdout.split('\n');
    const after = lines.filter((l) => l.startsWith('ROW ')).map((l) => JSON.parse(l.slice(4)));
    expect(after).toHaveLength(probe.length);
    // Every value equals the interpreter's over all events, the later ones included (it ignores
    // what is after t); where no extreme event of the row's entity is ≤ t, nothing changed.
    const all = [...events, ...(leaks as unknown as OracleEvent[])];
    const snaps = SNAPSHOTS.map(Date.parse);
    const leaked: string[] = [];
    let unchanged = 0;
    after.forEach((v: Record<string, string | null>, i: number) => {
      const t = eventTimeMs(probe[i].event_timestamp);
      for (const f of REGISTRY.features) {
        const parts = f.entity.keys.map((k) => probe[i][k]);
        // The snapshots were computed before the later events were loaded.
        const want = valueAt(f, f.engine === 'batch' ? events : all, parts, t, snaps);
        const now = v[f.name];
        const number = now === null ? null : f.type === 'int' ? String(Number(now)) : now;
        if (!(want === undefined ? now === null : sameValue(want, number))) {
          leaked.push(`row ${i} ${f.name}: got ${now}, expected ${want?.value}`);
        }
        const touched = leaks.some(
          (l) =>
            f.entity.keys.every((k, j) => (l as Record<string, unknown>)[k] === parts[j]) &&
            eventTimeMs(l.transaction_date) <= t,
        );
        if (touched || f.engine === 'batch') continue;
        unchanged++;
        const before = firstValues[i][f.name];
        const same =
          before === now ||
          (before !== null && now !== null && Math.abs(Number(before) - Number(now)) < 1e-9);
        if (!same)
          leaked.push(`row ${i} ${f.name}: ${before} before the later events, ${now} after`);
      }
    });
    expect(unchanged).toBeGreaterThan(1000);
    expect(leaked).toEqual([]);
  }, 900_000);

  it('bad input: refused before any run where it can be seen, else a failed run naming it', async () => {
    const before = await runsOfJob();
    const good = rows.slice(0, 5);
    const file = join(work, 'bad.csv');
    // An unknown feature: the control plane's registry refuses it (400, no run).
    writeFileSync(file, csv(good));
    await expect(
      trainingSet({ entities: file, features: 'last_purchase_amount,no_such_feature', out: 'bad' }),
    ).rejects.toThrow(/^400 .*--features.*unknown feature no_such_feature/);
    // A missing key column.
    writeFileSync(file, csv(good.map(({ product_id: _p, ...r }) => r)));
    await expect(
      trainingSet({ entities: file, features: 'last_review', out: 'bad' }),
    ).rejects.toThrow(/no key column product_id \(entity customer_product, feature last_review/);
    // A timestamp that does not parse: the CLI reads the CSV first.
    writeFileSync(file, csv([...good, { ...good[0], event_timestamp: 'yesterday' }]));
    await expect(
      trainingSet({ entities: file, features: 'last_purchase_amount', out: 'bad' }),
    ).rejects.toThrow(
      new TrainingSetInputError(
        '--timestamp-column event_timestamp: line 7: "yesterday" is not a timestamp (ISO-8601 or YYYY-MM-DD HH:MM:SS[.fff], UTC unless an offset is given)',
      ),
    );
    expect(await runsOfJob()).toBe(before);
    // From Python, as Parquet text only the job reads: the run fails with the job's message.
    const out = await python(`
import pandas as pd
from fstore_client import TrainingSetError, get_historical_features
rows = pd.DataFrame({"customer_id": ["a", "b"], "event_timestamp": ["2024-01-01T00:00:00Z", "soon"]})
try:
    get_historical_features(rows, ["last_purchase_amount"], name="bad_ts", out_database=${JSON.stringify(db)})
except TrainingSetError as e:
    print("ERROR " + str(e))
`);
    expect(out.stdout).toMatch(
      /^ERROR training set run \S+ failed: training_set: --timestamp-column event_timestamp: 1 value\(s\) are not a timestamp, e\.g\. "soon"/m,
    );
    expect(await runsOfJob()).toBe(before + 1);
  }, 600_000);
});
