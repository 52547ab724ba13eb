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
