import { Logger } from '@nestjs/common';
import { loadConfig } from '@fstore/config';
import { CONSISTENCY_JOB } from '@fstore/contracts';
import { Principal } from '../auth/api-keys.service';
import { ControlMetrics } from '../metrics/metrics';
import { inMemoryOperations } from '../store/in-memory-operations';
import { RunsService } from './runs.service';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// What a run trigger accepts and refuses (issue 22), on the in-memory repositories.
const operator: Principal = { actor: 'key:test-operator', role: 'operator', keyId: 'k1' };
const BATCH = 'spark-jobs/batch_features.py';

function setUp() {
  const { store, queue, operations } = inMemoryOperations();
  const runs = new RunsService(
    store.runs,
    store.jobs,
    operations,
    loadConfig({ FSTORE_STACK_DIR: '/nonexistent' }),
    new ControlMetrics(),
  );
  store.jobs.add({ name: 'features', kind: 'pyspark', description: '', createdBy: 'key:t' }, [
    { source: BATCH, content: '' },
    { source: BATCH, content: '' },
  ]);
  store.jobs.add({ name: 'check', kind: 'pyspark', description: '', createdBy: 'key:t' }, [
    { source: CONSISTENCY_JOB, content: '' },
  ]);
  store.jobs.add({ name: 'stream', kind: 'flink-sql', description: '', createdBy: 'key:t' }, [
    { source: 'flink-sql/transactions.sql', content: '' },
  ]);
  return { store, queue, runs };
}

it('records a queued run of the latest version (arguments checked, as-of last) and queues it', async () => {
  const { store, queue, runs } = setUp();
  const { operation, created } = await runs.trigger(
    'features',
    { as_of: '2024-03-15T00:00:00Z', args: ['--online', 'never'] },
    operator,
  );
  expect(created).toBe(true);
  expect(operation).toMatchObject({
    kind: 'run',
    status: 'queued',
    request: {
      job: 'features',
      as_of: '2024-03-15T00:00:00Z',
      args: ['--online', 'never'],
    },
  });
  const run = await runs.get(operation.target.replace(/^run:/, ''));
  expect(run).toMatchObject({
    jobName: 'features',
    version: 2,
    args: ['--online', 'never', '--as-of', '2024-03-15T00:00:00Z'],
    asOf: new Date('2024-03-15T00:00:00Z'),
    state: 'queued',
    operationId: operation.id,
  });
  expect(queue.queued).toEqual([operation.id]);
  expect(store.tables.audit).toMatchObject([{ action: 'run.trigger', outcome: 'accepted' }]);
});

it('runs the version asked for', async () => {
  const { runs } = setUp();
  const { operation } = await runs.trigger('features', { version: 1 }, operator);
  expect(await runs.get(operation.target.replace(/^run:/, ''))).toMatchObject({ version: 1 });
});

it('refuses a streaming job, an unknown version and an argument the job does not declare', async () => {
  const { store, runs } = setUp();
  await expect(runs.trigger('nope', {}, operator)).rejects.toMatchObject({
    status: 404,
    message: 'job nope not found',
  });
  await expect(runs.trigger('stream', {}, operator)).rejects.toMatchObject({
    status: 400,
    detail: [{ loc: ['path', 'name'], msg: 'job stream is a streaming job: deploy it' }],
  });
  await expect(runs.trigger('features', { version: 3 }, operator)).rejects.toMatchObject({
    status: 400,
    detail: [{ loc: ['body', 'version'], msg: 'job features has no such version' }],
  });
  await expect(
    runs.trigger('features', { args: ['--online', 'never', '--nope'] }, operator),
  ).rejects.toMatchObject({ detail: [{ loc: ['body', 'args', 2] }] });
  expect(store.tables.runs).toEqual([]);
  expect(store.tables.operations).toEqual([]);
});

it('the newest successful runs: per job, and of the consistency job', async () => {
  const { store, runs } = setUp();
  const run = async (jobName: string, state: 'success' | 'failed', finishedAt: string | null) => {
    const { operation } = await runs.trigger(jobName, {}, operator);
    await store.runs.update(operation.target.replace(/^run:/, ''), {
      state,
      finishedAt: finishedAt ? new Date(finishedAt) : null,
      logTail: `${jobName} ${finishedAt}`,
    });
  };
  await run('features', 'success', '2026-01-01T00:00:00Z');
  await run('features', 'success', '2026-01-03T00:00:00Z');
  await run('features', 'failed', '2026-01-04T00:00:00Z');
  await run('check', 'success', '2026-01-02T00:00:00Z');
  await run('check', 'success', null);
  expect(await runs.lastSuccesses()).toEqual([
    { job: 'features', finishedAt: new Date('2026-01-03T00:00:00Z') },
    { job: 'check', finishedAt: new Date('2026-01-02T00:00:00Z') },
  ]);
  expect(await runs.lastConsistencyRun()).toEqual({
    finishedAt: new Date('2026-01-02T00:00:00Z'),
    logTail: 'check 2026-01-02T00:00:00Z',
  });
});
