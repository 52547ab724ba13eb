import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { LivyBatchesClient } from '@fstore/livy';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { generate } from '@fstore/generator';
import { airflowEnv, airflowVenv } from '../../apps/cli/src/stack/airflow';
import { stackContext } from '../../apps/cli/src/stack/stack';
import { batchFeatures, historyFeatures, OracleEvent, sameValue } from '../support/oracle';
import { keysOfRun } from '../support/redis-keys';
import { batchOutput, sparkSubmit } from '../support/spark';

/**
 * airflow-dags/batch_features_daily.py through `airflow dags test` against the stack's real
 * control plane, which runs spark-jobs/batch_features.py through Livy: DAG runs over three days
 * end with the control plane's run records in success, as of each day's data interval end; the
 * Redis keys of this run and each as-of snapshot in the history equal the oracle; a run that
 * fails in Spark fails the DAG run with the control plane's error. Data: 2,000 generated events
 * over 40 days in a database of this run, entity ids prefixed with the run's id.
 */
const ctx = stackContext();
const livy = LivyBatchesClient.fromConfig(ctx.config);
const store = RedisClusterOnlineStore.fromConfig(ctx.config, 'fstore-admin', {
  commandTimeoutMs: 15000,
});
const run = randomUUID().replace(/-/g, '');
const db = `test_${run}`;
const prefix = `d${run.slice(0, 8)}-`;
const work = mkdtempSync(join(tmpdir(), 'fstore-batch-dag-'));
const DAG = 'batch_features_daily';
const REPORT = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'history_report.py');
let events: OracleEvent[] = [];

/** `airflow dags test` of one logical date with a run conf; its exit code and whole output. */
function dagsTest(logicalDate: string, conf: object): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      airflowVenv(ctx).airflow,
      ['dags', 'test', DAG, logicalDate, '--conf', JSON.stringify(conf)],
      { env: { ...process.env, ...airflowEnv(ctx) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

async function control(path: string): Promise<{ runs: unknown[] }> {
  const res = await fetch(`${ctx.config.control.url}${path}`, {
    headers: { authorization: `Bearer ${ctx.config.control.apiKey}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { runs: unknown[] };
}

/** The control plane's runs of the batch job whose arguments name this run's database. */
async function runsOfThisTest(): Promise<Record<string, unknown>[]> {
  const { runs } = await control('/v1/runs?job=batch-features');
  return (runs as { args: string[] }[]).filter((r) => r.args.some((a) => a.startsWith(db)));
}

const redisValues = () => keysOfRun(store, prefix);

beforeAll(async () => {
  const raw = join(work, 'generated.ndjson');
  await generate({
    rows: 2000,
    seed: 5,
    out: raw,
    format: 'ndjson',
    customers: 200,
    products: 100,
    categories: 4,
    start: '2024-01-01',
    spanDays: 40,
    duplicates: 0.05,
  });
  events = readFileSync(raw, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const e = JSON.parse(line);
      return { ...e, product_id: `${prefix}${e.product_id}`, category: `${prefix}${e.category}` };
    });
  const file = join(work, `events-${run}.ndjson`);
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const id = await livy.submit({
    file: join(PROJECT_ROOT, 'spark-jobs', 'load_raw_events.py'),
    args: ['--input', file, '--table', `${db}.transactions`],
    name: `test-dag-load-${db}`,
  });
  await batchOutput(livy, id, 'LOAD_SUMMARY ');
}, 600000);

afterAll(async () => {
  const keys = await redisValues().catch(() => new Map<string, string>());
  await Promise.all([...keys.keys()].map((k) => store.client.del(k)));
  await store.close();
  await sparkSubmit(ctx, REPORT, [`${db}.history`, '--drop-database', db]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}, 300000);

// A backfill over a date range, one DAG run per logical date, oldest first (what the scheduler's
// catch-up or `airflow backfill create` would run; locally `airflow dags test` runs each day).
const DAYS = ['2024-02-03', '2024-02-04', '2024-02-05'];

it('daily runs over a date range ask the control plane for the batch job as of each interval end; each run succeeds, Redis and every history snapshot equal the oracle', async () => {
  const args = ['--table', `${db}.transactions`, '--history-table', `${db}.history`];
  for (const day of DAYS) {
    const { code, output } = await dagsTest(day, { args });
    expect([day, code, output.slice(-3000)]).toEqual([day, 0, expect.stringContaining('success')]);
    expect(output).toContain(`"state": "success"`);
  }
  // @daily in Airflow 3 (a cron trigger timetable): the run of 2024-02-05 fires at its logical
  // date, which is its data interval's end — T covers the days up to 2024-02-05T00:00.
  const asOfs = DAYS.map((d) => `${d}T00:00:00.000Z`);
  const runs = await runsOfThisTest();
  expect(runs.map((r) => [r.as_of, r.state, r.livy_state]).sort()).toEqual(
    asOfs.map((t) => [t, 'success', 'success']),
  );

  const latest = batchFeatures(events, Date.parse(asOfs[2]));
  const values = new Map([...(await redisValues())].filter(([k]) => !k.endsWith(':ts')));
  expect([...values.keys()].sort()).toEqual([...latest.keys()].sort());
  const wrong = [...latest].filter(([k, v]) => !sameValue(v, values.get(k) ?? null));
  expect(wrong).toEqual([]);

  const out = await sparkSubmit(ctx, REPORT, [`${db}.history`]);
  const line = out.split('\n').find((l) => l.startsWith('HISTORY_REPORT '));
  const report = JSON.parse(line!.slice('HISTORY_REPORT '.length)) as {
    rows: { key: string; value: string; as_of_ms: number }[];
  };
  for (const t of asOfs) {
    const expected = historyFeatures(events, Date.parse(t));
    const rows = report.rows.filter((r) => r.as_of_ms === Date.parse(t));
    expect([t, rows.length]).toEqual([t, expected.size]);
    expect(rows.filter((r) => !sameValue(expected.get(r.key)!, r.value))).toEqual([]);
  }
}, 1200000);

it('a run that fails in Spark fails the DAG run with the control plane error, and is recorded failed', async () => {
  const args = ['--table', `${db}.no_such_table`, '--history-table', `${db}.history`];
  const { code, output } = await dagsTest('2024-02-06', { args });
  expect(code).not.toBe(0);
  expect(output).toMatch(/batch run run:[0-9a-f-]+ failed: batch \d+ ended dead/);
  const failed = (await runsOfThisTest()).filter((r) =>
    (r.args as string[]).includes(`${db}.no_such_table`),
  );
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ state: 'failed', as_of: '2024-02-06T00:00:00.000Z' });
}, 900000);
