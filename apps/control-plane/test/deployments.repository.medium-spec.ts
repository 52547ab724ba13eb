import { randomUUID } from 'crypto';
import { DeploymentEntity } from '@fstore/control-store';
import {
  NewDeployment,
  startingDeployment,
  TypeOrmDeploymentsRepository,
} from '../src/deployments/deployments.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { stillWaiting, ThrowAwaySchema } from './pg-schema';

// TypeOrmDeploymentsRepository against PostgreSQL (issue 22): one live deployment per job, the
// row locks the state machine takes (FOR UPDATE), updates that leave a deployment an operation
// owns alone, and what the reconciler is given to observe.
const pg = new ThrowAwaySchema();
let deployments: TypeOrmDeploymentsRepository;
let transactions: TypeOrmTransactions;

beforeAll(async () => {
  await pg.start();
  deployments = new TypeOrmDeploymentsRepository(pg.db);
  transactions = new TypeOrmTransactions(pg.db);
});
afterAll(() => pg.stop());

/** A job of its own (so that each test has its own live deployment) and its versions. */
async function job(versions = 1): Promise<string> {
  const name = `job-${randomUUID().slice(0, 8)}`;
  await pg.job(name, 'flink-sql', versions);
  return name;
}

const newDeployment = (jobName: string, changes: Partial<NewDeployment> = {}): NewDeployment => ({
  ...startingDeployment(jobName, 1, null),
  ...changes,
});

const insert = (jobName: string, changes: Partial<NewDeployment> = {}) =>
  transactions.run((tx) => deployments.insert(newDeployment(jobName, changes), tx));

it('inserts a deployment (its id from PostgreSQL) and reads it back', async () => {
  const name = await job();
  const row = await insert(name, { pendingOperationId: randomUUID() });
  expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(await deployments.get(row.id)).toMatchObject({
    jobName: name,
    version: 1,
    desiredState: 'running',
    observedState: 'NONE',
    restarts: 0,
    pendingOperationId: row.pendingOperationId,
  });
  expect(await deployments.get(randomUUID())).toBeNull();
  await expect(deployments.getOrFail(randomUUID())).rejects.toThrow('Could not find any entity');
});

it('one live deployment per job: a second is a unique violation, after a cancel it is not', async () => {
  const name = await job();
  const first = await insert(name);
  const refused = await insert(name).catch((e: unknown) => e);
  expect(transactions.isUniqueViolation(refused)).toBe(true);
  expect(await deployments.list({ job: name })).toHaveLength(1);
  await deployments.update(first.id, { desiredState: 'cancelled' });
  const second = await insert(name);
  expect((await deployments.list({ job: name })).map((d) => d.id)).toEqual([second.id, first.id]);
});

it('liveOfJob, liveOfJobLocked: the job’s deployment that is not cancelled', async () => {
  const name = await job();
  const cancelled = await insert(name, { desiredState: 'cancelled' });
  expect(await deployments.liveOfJob(name)).toBeNull();
  expect(await transactions.run((tx) => deployments.liveOfJobLocked(name, tx))).toBeNull();
  const live = await insert(name, { desiredState: 'paused' });
  const found = await transactions.run((tx) => deployments.liveOfJobLocked(name, tx));
  expect(found?.id).toBe(live.id);
  expect(found?.id).not.toBe(cancelled.id);
  expect((await deployments.liveOfJob(name))?.id).toBe(live.id);
});

it('getLocked holds the row (FOR UPDATE) until its transaction ends', async () => {
  const name = await job();
  const row = await insert(name);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const first = transactions.run(async (tx) => {
    await deployments.getLocked(row.id, tx);
    locked();
    await released;
    await deployments.update(row.id, { desiredState: 'paused' }, tx);
  });
  await isLocked;
  const second = transactions.run((tx) => deployments.getLocked(row.id, tx));
  expect(await stillWaiting(second)).toBe(true);
  release();
  await first;
  // The second reads the row as the first left it.
  expect(await second).toMatchObject({ id: row.id, desiredState: 'paused' });
});

it('liveOfJobLocked holds the live row too', async () => {
  const name = await job();
  await insert(name);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const first = transactions.run(async (tx) => {
    await deployments.liveOfJobLocked(name, tx);
    locked();
    await released;
  });
  await isLocked;
  const second = transactions.run((tx) => deployments.liveOfJobLocked(name, tx));
  expect(await stillWaiting(second)).toBe(true);
  release();
  await first;
  expect((await second)?.jobName).toBe(name);
});

it('update in a transaction that throws is rolled back', async () => {
  const name = await job();
  const row = await insert(name);
  await expect(
    transactions.run(async (tx) => {
      await deployments.update(row.id, { desiredState: 'paused', drift: 'x' }, tx);
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');
  expect(await deployments.get(row.id)).toMatchObject({ desiredState: 'running', drift: null });
});

it('updateIfNoOperation leaves a deployment an operation owns alone', async () => {
  const name = await job();
  const owned = await insert(name, { pendingOperationId: randomUUID() });
  await deployments.updateIfNoOperation(owned.id, { drift: 'not running', observedState: 'X' });
  expect(await deployments.get(owned.id)).toMatchObject({ drift: null, observedState: 'NONE' });
  await deployments.update(owned.id, { pendingOperationId: null });
  const at = new Date('2026-01-02T03:04:05Z');
  await deployments.updateIfNoOperation(owned.id, { drift: 'not running', driftAt: at });
  expect(await deployments.get(owned.id)).toMatchObject({ drift: 'not running', driftAt: at });
});

it('list: newest first, of one job, live only', async () => {
  const name = await job();
  const old = await insert(name, { desiredState: 'cancelled' });
  const live = await insert(name);
  const ids = (rows: DeploymentEntity[]) => rows.map((d) => d.id);
  expect(ids(await deployments.list({ job: name }))).toEqual([live.id, old.id]);
  expect(ids(await deployments.list({ job: name, live: true }))).toEqual([live.id]);
  expect(ids(await deployments.list({ live: true }))).not.toContain(old.id);
  expect(await deployments.list({ job: 'no-such-job' })).toEqual([]);
});

it('toObserve: not cancelled, owned by no operation, with a Flink job', async () => {
  const [a, b, c, d] = [await job(), await job(), await job(), await job()];
  const observed = await insert(a, { flinkJobId: 'f1', desiredState: 'paused' });
  const owned = await insert(b, { flinkJobId: 'f2', pendingOperationId: randomUUID() });
  const cancelled = await insert(c, { flinkJobId: 'f3', desiredState: 'cancelled' });
  const noJob = await insert(d);
  const ids = (await deployments.toObserve()).map((x) => x.id);
  expect(ids).toContain(observed.id);
  for (const left of [owned, cancelled, noJob]) expect(ids).not.toContain(left.id);
});
