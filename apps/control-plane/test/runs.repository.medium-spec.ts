import { randomUUID } from 'crypto';
import { TypeOrmOperationsRepository } from '../src/operations/operations.repository';
import { NewRun, TypeOrmRunsRepository } from '../src/runs/runs.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { ThrowAwaySchema } from './pg-schema';

// TypeOrmRunsRepository against PostgreSQL (issue 22): runs recorded with their operation, updated
// by the executor, listed newest first, and the newest successes the metrics read.
const pg = new ThrowAwaySchema();
let runs: TypeOrmRunsRepository;
let operations: TypeOrmOperationsRepository;
let transactions: TypeOrmTransactions;

beforeAll(async () => {
  await pg.start();
  runs = new TypeOrmRunsRepository(pg.db);
  operations = new TypeOrmOperationsRepository(pg.db);
  transactions = new TypeOrmTransactions(pg.db);
});
afterAll(() => pg.stop());

async function job(): Promise<string> {
  const name = `job-${randomUUID().slice(0, 8)}`;
  await pg.job(name, 'pyspark', 2);
  return name;
}

const newRun = (jobName: string, changes: Partial<NewRun> = {}): NewRun => ({
  jobName,
  version: 1,
  args: ['--as-of', '2024-03-15T00:00:00Z'],
  asOf: new Date('2024-03-15T00:00:00Z'),
  livyBatchId: null,
  state: 'queued',
  livyState: null,
  logTail: null,
  error: null,
  operationId: randomUUID(),
  startedAt: null,
  finishedAt: null,
  observedAt: null,
  ...changes,
});

/** A run and its operation (batch_runs.operation_id references it, checked at commit). */
const insert = (jobName: string, changes: Partial<NewRun> = {}) =>
  transactions.run(async (tx) => {
    const run = await runs.insert(newRun(jobName, changes), tx);
    await operations.insert(
      {
        id: run.operationId,
        idempotencyKey: null,
        kind: 'run',
        target: `run:${run.id}`,
        request: { job: jobName },
        status: 'queued',
        attempts: 0,
        progress: {},
        result: null,
        error: null,
        actor: 'key:test',
        finishedAt: null,
      },
      tx,
    );
    return run;
  });

it('inserts a run and reads it back; updates it alone or in a transaction', async () => {
  const name = await job();
  const run = await insert(name);
  expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(await runs.get(run.id)).toMatchObject({
    jobName: name,
    version: 1,
    args: ['--as-of', '2024-03-15T00:00:00Z'],
    asOf: new Date('2024-03-15T00:00:00Z'),
    state: 'queued',
    operationId: run.operationId,
  });
  await runs.update(run.id, { livyBatchId: 7, state: 'starting' });
  expect(await runs.getOrFail(run.id)).toMatchObject({ livyBatchId: 7, state: 'starting' });
  await transactions.run(async (tx) => {
    expect((await runs.get(run.id, tx))?.state).toBe('starting');
    await runs.update(run.id, { state: 'failed', error: 'boom' }, tx);
  });
  expect(await runs.get(run.id)).toMatchObject({ state: 'failed', error: 'boom' });
  expect(await runs.get(randomUUID())).toBeNull();
  await expect(runs.getOrFail(randomUUID())).rejects.toThrow('Could not find any entity');
});

it('a run inserted in a transaction that throws is not kept', async () => {
  const name = await job();
  await expect(
    transactions.run(async (tx) => {
      await runs.insert(newRun(name), tx);
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');
  expect(await runs.list({ job: name, limit: 10 })).toEqual([]);
});

it('list: newest first, of one job, at most limit', async () => {
  const name = await job();
  const first = await insert(name);
  const second = await insert(name, { version: 2 });
  expect((await runs.list({ job: name, limit: 10 })).map((r) => r.id)).toEqual([
    second.id,
    first.id,
  ]);
  expect(await runs.list({ job: name, limit: 1 })).toHaveLength(1);
  expect((await runs.list({ limit: 1000 })).map((r) => r.id)).toContain(first.id);
});

it('the newest successes: per job, and of a source', async () => {
  const name = await job();
  const at = (iso: string) => new Date(iso);
  await insert(name, { state: 'success', finishedAt: at('2026-01-01T00:00:00Z') });
  const newest = await insert(name, {
    version: 2,
    state: 'success',
    finishedAt: at('2026-01-03T00:00:00Z'),
    logTail: 'newest',
  });
  await insert(name, { state: 'failed', finishedAt: at('2026-01-04T00:00:00Z') });
  await insert(name, { state: 'success', finishedAt: null });

  const perJob = await runs.lastSuccessPerJob();
  expect(perJob.find((r) => r.job === name)).toEqual({
    job: name,
    finishedAt: at('2026-01-03T00:00:00Z'),
  });
  // pg.job registers pyspark versions with the source spark-jobs/x.py.
  expect(await runs.lastSuccessOfSource('spark-jobs/x.py')).toMatchObject({
    id: newest.id,
    logTail: 'newest',
  });
  expect(await runs.lastSuccessOfSource('spark-jobs/none.py')).toBeNull();
});
