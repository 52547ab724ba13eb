import { randomUUID } from 'crypto';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { LivyBatchesClient } from '@fstore/livy';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { generate } from '@fstore/generator';
import { stackContext } from '../../apps/cli/src/stack/stack';
import { AirflowApi, airflowCli, DagRun } from '../support/airflow';
import { batchFeatures, historyFeatures, OracleEvent, sameValue } from '../support/oracle';
import { keysOfRun } from '../support/redis-keys';
import { batchOutput, sparkSubmit } from '../support/spark';
import { stackWorkDir } from '../support/work-dir';

/**
 * airflow-dags/batch_features_daily.py run by the stack's real Airflow (scheduler, LocalExecutor,
 * triggerer, API server; metadata in PostgreSQL) against the real control plane, which runs
 * spark-jobs/batch_features.py through Livy:
 * - the DAG is switched on and scheduled: a run for the last complete day exists without anyone
 *   triggering it, and it asked the control plane for a run as of today 00:00 UTC;
 * - `airflow backfill create` over three days makes three DAG runs that the scheduler runs, each a
 *   control-plane run (Idempotency-Key = DAG, DAG run, task) as of its day's end, in success;
 * - a run triggered through the REST API (/api/v2) succeeds; Redis then holds the features as of
 *   its day (the latest) and every as-of snapshot of the history equals the oracle;
 * - a run whose Spark job fails fails the task with the control plane's error (task log).
 * Data: 2,000 generated events over 40 days in a database of this run, entity ids prefixed with
 * the run's id; the days are drawn at random after the DAG's start date (a day Airflow has a run
 * for is not run again), and the DAG runs are deleted at the end.
 */
const ctx = stackContext();
const livy = LivyBatchesClient.fromConfig(ctx.config);
const store = RedisClusterOnlineStore.fromConfig(ctx.config, 'fstore-admin', {
  commandTimeoutMs: 15000,
});
const airflow = new AirflowApi(ctx.config);
const run = randomUUID().replace(/-/g, '');
const db = `test_${run}`;
const prefix = `d${run.slice(0, 8)}-`;
const work = stackWorkDir('fstore-batch-dag-');
const DAG = 'batch_features_daily';
const REPORT = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'history_report.py');
const DAY_MS = 86400000;
// The events start on a random day of 2024-2025 (after the DAG's start_date, 2024-01-01).
const START = Date.parse('2024-01-02T00:00:00Z') + Math.floor(Math.random() * 600) * DAY_MS;
const day = (n: number) => new Date(START + n * DAY_MS).toISOString().slice(0, 10);
const BACKFILL = [day(33), day(34), day(35)];
const TRIGGERED = day(36);
const FAILING = day(37);
const ARGS = ['--table', `${db}.transactions`, '--history-table', `${db}.history`];
let events: OracleEvent[] = [];
const dagRuns: string[] = [];

async function control<T>(path: string): Promise<T> {
  const res = await fetch(`${ctx.config.control.url}${path}`, {
    headers: { authorization: `Bearer ${ctx.config.control.apiKey}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

interface ControlRun {
  id: string;
  args: string[];
  as_of: string | null;
  state: string;
  livy_state: string | null;
  operation_id: string;
}

/** The control plane's runs of the batch job whose arguments name this run's database. */
async function runsOfThisTest(): Promise<ControlRun[]> {
  const { runs } = await control<{ runs: ControlRun[] }>('/v1/runs?job=batch-features');
  return runs.filter((r) => r.args.some((a) => a.startsWith(db)));
}

async function idempotencyKey(r: ControlRun): Promise<string> {
  return (await control<{ idempotency_key: string }>(`/v1/operations/${r.operation_id}`))
    .idempotency_key;
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
    start: day(0),
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
  await Promise.all(dagRuns.map((id) => airflow.deleteRun(DAG, id).catch(() => undefined)));
  const keys = await redisValues().catch(() => new Map<string, string>());
  await Promise.all([...keys.keys()].map((k) => store.client.del(k)));
  await store.close();
  await sparkSubmit(ctx, REPORT, [`${db}.history`, '--drop-database', db]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}, 300000);

it('the scheduler runs the DAG by itself for the last complete day, through the control plane', async () => {
  const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS).toISOString();
  const dag = await airflow.ok<{ is_paused: boolean }>('GET', `/dags/${DAG}`);
  expect(dag.is_paused).toBe(false);
  // Catch-up is off: a scheduled run for today 00:00 (the end of yesterday) and none for the days
  // before the scheduler started — but yesterday's too when the suite has run across midnight
  // (the stack started the day before: its scheduler ran that day's run then).
  const all = (await airflow.dagRuns(DAG, '2024-01-01T00:00:00Z', today)).filter(
    (r) => r.run_type === 'scheduled',
  );
  const dates = all.map((r) => Date.parse(r.logical_date ?? ''));
  expect(dates).toContain(Date.parse(today));
  expect(dates.filter((d) => d < Date.parse(today) - DAY_MS)).toEqual([]);
  const scheduled = all.filter((r) => Date.parse(r.logical_date ?? '') === Date.parse(today));
  expect(scheduled).toHaveLength(1);
  // It asked the control plane for a run as of that time (whether that run succeeds depends on
  // the stack's raw table having data), with the Idempotency-Key of that DAG run's task.
  const prefix = `airflow/${DAG}/${scheduled[0].dag_run_id}/run/`;
  const scheduledRuns = async (): Promise<ControlRun[]> => {
    const { runs } = await control<{ runs: ControlRun[] }>('/v1/runs?job=batch-features');
    const mine = [];
    for (const r of runs.filter((x) => x.as_of && Date.parse(x.as_of) === Date.parse(today))) {
      if ((await idempotencyKey(r)).startsWith(prefix)) mine.push(r);
    }
    return mine;
  };
  let mine = await scheduledRuns();
  const state = (await airflow.dagRun(DAG, scheduled[0].dag_run_id)).state;
  if (mine.length === 0 && ['success', 'failed'].includes(state)) {
    // A stack reused from earlier today: its run ended before it could reach the control plane
    // (e.g. the control plane was down). Clearing the task runs it again, with a new key.
    await airflow.ok('POST', `/dags/${DAG}/clearTaskInstances`, {
      dag_run_id: scheduled[0].dag_run_id,
      dry_run: false,
      reset_dag_runs: true,
    });
  }
  const deadline = Date.now() + 90000;
  while (mine.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    mine = await scheduledRuns();
  }
  expect(mine.map((r) => Date.parse(r.as_of!)).slice(0, 1)).toEqual([Date.parse(today)]);
}, 180000);

it('airflow backfill create over three days: three DAG runs, each a control-plane run in success as of its day', async () => {
  const { code, output } = await airflowCli(ctx, [
    'backfill',
    'create',
    '--dag-id',
    DAG,
    '--from-date',
    BACKFILL[0],
    '--to-date',
    BACKFILL[2],
    '--dag-run-conf',
    JSON.stringify({ args: ARGS }),
    '--max-active-runs',
    '1',
  ]);
  expect([code, output.slice(-2000)]).toEqual([0, expect.any(String)]);
  const runs = await airflow.dagRuns(DAG, `${BACKFILL[0]}T00:00:00Z`, `${BACKFILL[2]}T00:00:00Z`);
  dagRuns.push(...runs.map((r) => r.dag_run_id));
  expect(runs.map((r) => [r.run_type, r.logical_date?.slice(0, 10), r.conf]).sort()).toEqual(
    BACKFILL.map((d) => ['backfill', d, { args: ARGS }]),
  );
  const ended: DagRun[] = [];
  for (const r of runs) ended.push(await airflow.waitForRun(DAG, r.dag_run_id, 240000));
  expect(ended.map((r) => r.state)).toEqual(['success', 'success', 'success']);

  // @daily in Airflow 3 (a cron trigger timetable): a run's data interval ends at its logical
  // date — the run of day D computes as of D 00:00, the end of the day before.
  const asOfs = BACKFILL.map((d) => `${d}T00:00:00.000Z`);
  const control = await runsOfThisTest();
  expect(control.map((r) => [r.as_of, r.state, r.livy_state]).sort()).toEqual(
    asOfs.map((t) => [t, 'success', 'success']),
  );
  const keys = await Promise.all(control.map(idempotencyKey));
  expect(keys.sort()).toEqual(runs.map((r) => `airflow/${DAG}/${r.dag_run_id}/run/0`).sort());
}, 900000);

it('a run triggered through the REST API succeeds; Redis holds the latest as-of and every snapshot equals the oracle', async () => {
  const triggered = await airflow.trigger(DAG, `${TRIGGERED}T00:00:00Z`, { args: ARGS });
  dagRuns.push(triggered.dag_run_id);
  expect(triggered.run_type).toBe('manual');
  const ended = await airflow.waitForRun(DAG, triggered.dag_run_id, 300000);
  expect(ended.state).toBe('success');
  const asOfs = [...BACKFILL, TRIGGERED].map((d) => `${d}T00:00:00.000Z`);
  const runs = await runsOfThisTest();
  expect(runs.map((r) => [r.as_of, r.state]).sort()).toEqual(asOfs.map((t) => [t, 'success']));

  const latest = batchFeatures(events, Date.parse(asOfs[3]));
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
}, 600000);

it('a run that fails in Spark fails the task with the control plane error, and is recorded failed', async () => {
  const args = ['--table', `${db}.no_such_table`, '--history-table', `${db}.history`];
  const triggered = await airflow.trigger(DAG, `${FAILING}T00:00:00Z`, { args });
  dagRuns.push(triggered.dag_run_id);
  const ended = await airflow.waitForRun(DAG, triggered.dag_run_id, 300000);
  expect(ended.state).toBe('failed');
  const log = await airflow.taskLog(DAG, triggered.dag_run_id, 'run');
  expect(log).toMatch(/batch run run:[0-9a-f-]+ failed: batch \d+ ended dead/);
  const failed = (await runsOfThisTest()).filter((r) => r.args.includes(`${db}.no_such_table`));
  expect(failed.map((r) => [r.state, r.as_of])).toEqual([['failed', `${FAILING}T00:00:00.000Z`]]);
}, 600000);
