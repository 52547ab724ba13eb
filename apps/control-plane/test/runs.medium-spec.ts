import { readFileSync } from 'fs';
import { join } from 'path';
import { parseEnvFile } from '@fstore/config';
import { Harness } from './harness';

// Batch runs through the real Livy server of the stack (spark-submit of a PySpark file): one to
// success, one to failure with its log. Livy runs files only from the folder it whitelists (the
// spark-jobs/ of the checkout that started it), so the runs point there.
jest.setTimeout(600000);

const h = new Harness();
const ok = `run-ok-${h.id}`;
const failing = `run-fail-${h.id}`;
const daily = `run-daily-${h.id}`;

function livyJobDir(stackDir: string): string {
  const conf = readFileSync(join(stackDir, 'data/livy/conf/livy.conf'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/^\s*([\w.-]+)\s*=\s*/, '$1='))
    .join('\n');
  return parseEnvFile(conf.replace(/livy\.file\.local-dir-whitelist/, 'WHITELIST'))
    .WHITELIST.split(',')[0]
    .replace(/\/$/, '');
}

beforeAll(async () => {
  const { loadConfig } = await import('@fstore/config');
  h.env.FSTORE_CONTROL_BATCH_JOB_DIR = livyJobDir(loadConfig().stackDir);
  await h.start();
});
afterAll(() => h.stop([]));

it('runs a PySpark job through Livy to success, with its state, timings and log', async () => {
  const reg = await h.call('POST', '/v1/jobs', {
    body: { name: ok, kind: 'pyspark', source: 'spark-jobs/tests/jobs/sleep_job.py' },
  });
  expect(reg.status).toBe(201);
  const t0 = Date.now();
  const run = await h.call('POST', `/v1/jobs/${ok}/runs`, {
    body: { args: ['1'] },
    headers: { 'idempotency-key': `run-${h.id}` },
  });
  expect(run.status).toBe(202);
  const op = await h.operation(run.body.operation_id, 400000);
  expect(op).toMatchObject({ status: 'succeeded', result: { state: 'success' } });
  const runId = String(run.body.target).replace('run:', '');
  const got = (await h.call('GET', `/v1/runs/${runId}`, { key: h.keys.viewer })).body;
  expect(got).toMatchObject({ job: ok, state: 'success', livy_state: 'success', args: ['1'] });
  expect(typeof got.livy_batch_id).toBe('number');
  expect(new Date(got.finished_at).getTime()).toBeGreaterThanOrEqual(
    new Date(got.started_at).getTime(),
  );
  expect(got.log_tail.length).toBeGreaterThan(0);
  const list = (await h.call('GET', `/v1/runs?job=${ok}`, { key: h.keys.viewer })).body;
  expect(list.runs.map((r: { id: string }) => r.id)).toEqual([runId]);
  console.log(`Livy run to success: ${Date.now() - t0} ms`);
});

it('a failing PySpark job ends failed, with the error in its log tail', async () => {
  await h.call('POST', '/v1/jobs', {
    body: { name: failing, kind: 'pyspark', source: 'spark-jobs/tests/jobs/fail_job.py' },
  });
  const run = await h.call('POST', `/v1/jobs/${failing}/runs`, {
    body: { args: ['control-plane-test'], as_of: '2026-01-31T00:00:00Z' },
  });
  expect(run.status).toBe(202);
  const op = await h.operation(run.body.operation_id, 400000);
  expect(op.status).toBe('failed');
  expect(op.error).toMatch(/ended dead/);
  const runId = String(run.body.target).replace('run:', '');
  const got = (await h.call('GET', `/v1/runs/${runId}`)).body;
  expect(got).toMatchObject({
    state: 'failed',
    livy_state: 'dead',
    as_of: '2026-01-31T00:00:00.000Z',
  });
  expect(got.args).toEqual(['control-plane-test', '--as-of', '2026-01-31T00:00:00Z']);
  expect(got.log_tail).toContain('RuntimeError: intentional failure for the Livy tests');
});

it('backfills day after day as one operation, and stops at the first day that fails', async () => {
  const reg = await h.call('POST', '/v1/jobs', {
    body: { name: daily, kind: 'pyspark', source: 'spark-jobs/tests/jobs/as_of_job.py' },
  });
  expect(reg.status).toBe(201);

  // A reversed range and a job without --as-of are refused before anything runs.
  const reversed = await h.call('POST', `/v1/jobs/${daily}/backfills`, {
    body: { from: '2026-01-03', to: '2026-01-01' },
  });
  expect(reversed).toMatchObject({
    status: 400,
    body: {
      error_code: 1000,
      error_detail: [{ loc: ['body', 'to'], msg: '2026-01-01 is before "from" (2026-01-03)' }],
    },
  });
  const viewer = await h.call('POST', `/v1/jobs/${daily}/backfills`, {
    body: { from: '2026-01-01', to: '2026-01-02' },
    key: h.keys.viewer,
  });
  expect(viewer.status).toBe(403);

  // Two days, both succeed: one operation, one run each, as of its day.
  const ok = await h.call('POST', `/v1/jobs/${daily}/backfills`, {
    body: { from: '2026-01-01', to: '2026-01-02' },
  });
  expect(ok).toMatchObject({ status: 202, body: { target: `job:${daily}` } });
  const done = await h.operation(ok.body.operation_id, 400000);
  expect(done).toMatchObject({ kind: 'backfill', status: 'succeeded', result: { days: 2 } });
  const asOf = (d: string) => `2026-01-0${d}T00:00:00Z`;
  const made = done.result.runs as { as_of: string; run_id: string }[];
  expect(made.map((r) => r.as_of)).toEqual([asOf('1'), asOf('2')]);
  expect(done.progress.runs).toEqual(made.map((r) => r.run_id));
  for (const [i, r] of made.entries()) {
    const run = (await h.call('GET', `/v1/runs/${r.run_id}`)).body;
    expect(run).toMatchObject({
      job: daily,
      state: 'success',
      as_of: `2026-01-0${i + 1}T00:00:00.000Z`,
      args: ['--as-of', asOf(String(i + 1))],
    });
    expect(run.log_tail).toContain(`as_of_job: as of ${asOf(String(i + 1))}`);
  }

  // Three days, the second fails: the third never starts.
  const failingDay = await h.call('POST', `/v1/jobs/${daily}/backfills`, {
    body: { from: '2026-02-01', to: '2026-02-03', args: ['--fail-on', '2026-02-02T00:00:00Z'] },
  });
  expect(failingDay.status).toBe(202);
  const failed = await h.operation(failingDay.body.operation_id, 400000);
  const [first, second] = failed.progress.runs as string[];
  expect(failed).toMatchObject({
    status: 'failed',
    error: `day 2 of 3 (as of 2026-02-02T00:00:00Z, run ${second}) failed: no data as of 2026-02-02T00:00:00Z; the 1 day(s) after it were not started`,
  });
  expect(failed.progress.runs).toHaveLength(2);
  expect((await h.call('GET', `/v1/runs/${first}`)).body.state).toBe('success');
  expect((await h.call('GET', `/v1/runs/${second}`)).body).toMatchObject({
    state: 'failed',
    error: failed.error,
  });
  const all = (await h.call('GET', `/v1/runs?job=${daily}`)).body.runs as { as_of: string }[];
  expect(all.map((r) => r.as_of).sort()).toEqual([
    '2026-01-01T00:00:00.000Z',
    '2026-01-02T00:00:00.000Z',
    '2026-02-01T00:00:00.000Z',
    '2026-02-02T00:00:00.000Z',
  ]);
});
