import { randomUUID } from 'crypto';
import { OperationEntity } from '@fstore/control-store';
import { NewOperation, TypeOrmOperationsRepository } from '../src/operations/operations.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { ThrowAwaySchema } from './pg-schema';

// TypeOrmOperationsRepository against PostgreSQL (issue 22): the statements the operation rules
// rely on — the idempotency key's uniqueness, attempts counted by the database, updated_at kept,
// transactions rolled back.
const pg = new ThrowAwaySchema();
let operations: TypeOrmOperationsRepository;
let transactions: TypeOrmTransactions;

beforeAll(async () => {
  await pg.start();
  operations = new TypeOrmOperationsRepository(pg.db);
  transactions = new TypeOrmTransactions(pg.db);
});
afterAll(() => pg.stop());

const newOperation = (changes: Partial<NewOperation> = {}): NewOperation => ({
  id: randomUUID(),
  idempotencyKey: null,
  kind: 'deploy',
  target: `deployment:${randomUUID()}`,
  request: { job: 'j', version: 1 },
  status: 'queued',
  attempts: 0,
  progress: {},
  result: null,
  error: null,
  actor: 'key:test',
  finishedAt: null,
  ...changes,
});

const insert = (changes: Partial<NewOperation> = {}) =>
  transactions.run((tx) => operations.insert(newOperation(changes), tx));

it('inserts an operation and reads it back by id and by idempotency key', async () => {
  const key = `key-${randomUUID()}`;
  const row = await insert({ idempotencyKey: key });
  expect(row.createdAt).toBeInstanceOf(Date);
  const read = await operations.get(row.id);
  expect(read).toMatchObject({
    id: row.id,
    idempotencyKey: key,
    kind: 'deploy',
    status: 'queued',
    attempts: 0,
    request: { job: 'j', version: 1 },
    progress: {},
  });
  expect((await operations.byIdempotencyKey(key))?.id).toBe(row.id);
  expect(await operations.byIdempotencyKey('no-such-key')).toBeNull();
  expect(await operations.get(randomUUID())).toBeNull();
});

it('a second operation with the same idempotency key is a unique violation; none is kept', async () => {
  const key = `key-${randomUUID()}`;
  const first = await insert({ idempotencyKey: key });
  const second = newOperation({ idempotencyKey: key });
  const refused = await insert(second).catch((e: unknown) => e);
  expect(transactions.isUniqueViolation(refused)).toBe(true);
  expect(await operations.get(second.id)).toBeNull();
  expect((await operations.byIdempotencyKey(key))?.id).toBe(first.id);
  // Operations without a key are not unique to anything.
  await insert();
  await insert();
});

it('a transaction that throws keeps nothing it inserted', async () => {
  const row = newOperation();
  await expect(
    transactions.run(async (tx) => {
      await operations.insert(row, tx);
      throw new Error('refused after the insert');
    }),
  ).rejects.toThrow('refused after the insert');
  expect(await operations.get(row.id)).toBeNull();
});

it('an attempt: running and counted; requeued with its error; progress; succeeded', async () => {
  const row = await insert();
  await operations.markRunning(row.id);
  await operations.markRunning(row.id);
  const running = await operations.get(row.id);
  expect(running).toMatchObject({ status: 'running', attempts: 2 });
  expect(running!.updatedAt.getTime()).toBeGreaterThanOrEqual(row.updatedAt.getTime());

  await operations.requeue(row.id, 'JobManager restarting');
  expect(await operations.get(row.id)).toMatchObject({
    status: 'queued',
    error: 'JobManager restarting',
    attempts: 2,
  });

  await transactions.run((tx) => operations.saveProgress(row.id, { flinkJobId: 'abc' }, tx));
  expect((await operations.get(row.id))!.progress).toEqual({ flinkJobId: 'abc' });

  await transactions.run((tx) => operations.succeed(row.id, { flink_job_id: 'abc' }, tx));
  const done = await operations.get(row.id);
  expect(done).toMatchObject({ status: 'succeeded', result: { flink_job_id: 'abc' }, error: null });
  expect(done!.finishedAt).toBeInstanceOf(Date);
});

it('failed: with its error and end time', async () => {
  const row = await insert();
  await transactions.run((tx) => operations.fail(row.id, 'Flink refused the job', tx));
  const failed = await operations.get(row.id);
  expect(failed).toMatchObject({ status: 'failed', error: 'Flink refused the job' });
  expect(failed!.finishedAt).toBeInstanceOf(Date);
});

it('unfinishedSince: queued or running operations not updated since then, at most limit', async () => {
  const queued = await insert();
  const running = await insert();
  await operations.markRunning(running.id);
  const done = await insert();
  await transactions.run((tx) => operations.succeed(done.id, {}, tx));
  const later = new Date(Date.now() + 60_000);
  const ids = (rows: OperationEntity[]) => rows.map((r) => r.id);

  const all = ids(await operations.unfinishedSince(later, 1000));
  expect(all).toEqual(expect.arrayContaining([queued.id, running.id]));
  expect(all).not.toContain(done.id);
  expect(await operations.unfinishedSince(later, 1)).toHaveLength(1);
  expect(ids(await operations.unfinishedSince(new Date(Date.now() - 60_000), 1000))).toEqual([]);
});
