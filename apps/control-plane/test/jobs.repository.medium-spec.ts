import { randomUUID } from 'crypto';
import { TypeOrmJobsRepository } from '../src/jobs/jobs.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { stillWaiting, ThrowAwaySchema } from './pg-schema';

// TypeOrmJobsRepository against PostgreSQL (issue 22): jobs and versions as deployments read them.
const pg = new ThrowAwaySchema();
let jobs: TypeOrmJobsRepository;
let transactions: TypeOrmTransactions;

beforeAll(async () => {
  await pg.start();
  jobs = new TypeOrmJobsRepository(pg.db);
  transactions = new TypeOrmTransactions(pg.db);
});
afterAll(() => pg.stop());

it('reads a job, whether it has a version, and a version', async () => {
  const name = `job-${randomUUID().slice(0, 8)}`;
  await pg.job(name, 'flink-sql', 2);
  expect(await jobs.job(name)).toMatchObject({ name, kind: 'flink-sql' });
  expect(await transactions.run((tx) => jobs.job(name, tx))).toMatchObject({ name });
  expect(await jobs.job('no-such-job')).toBeNull();
  expect(await jobs.hasVersion(name, 2)).toBe(true);
  expect(await transactions.run((tx) => jobs.hasVersion(name, 3, tx))).toBe(false);
  expect(await jobs.versionOrFail(name, 2)).toMatchObject({
    jobName: name,
    version: 2,
    content: '-- version 2',
  });
  await expect(jobs.versionOrFail(name, 3)).rejects.toThrow('Could not find any entity');
});

it('registers a job and numbered versions; lists versions without content', async () => {
  const name = `job-${randomUUID().slice(0, 8)}`;
  const version = (n: number) => ({
    jobName: name,
    version: n,
    source: 'flink-sql/transactions.sql',
    content: `-- v${n}`,
    sha256: 'a'.repeat(64),
    parameters: { TRANSACTIONS_TOPIC: 'test.in' },
    createdBy: 'key:test',
  });
  await transactions.run(async (tx) => {
    expect(await jobs.exists(name, tx)).toBe(false);
    expect(await jobs.maxVersion(name, tx)).toBe(0);
    await jobs.insertJob({ name, kind: 'flink-sql', description: 'd', createdBy: 'key:test' }, tx);
    const v1 = await jobs.insertVersion(version(1), tx);
    expect(v1.id).toBeDefined();
    expect(v1.createdAt).toBeInstanceOf(Date);
  });
  await transactions.run(async (tx) => {
    expect(await jobs.exists(name, tx)).toBe(true);
    expect(await jobs.maxVersion(name, tx)).toBe(1);
    await jobs.insertVersion(version(2), tx);
  });
  const summaries = await jobs.versionSummaries(name);
  expect(summaries.map((v) => v.version)).toEqual([1, 2]);
  expect(summaries[0]).toMatchObject({
    jobName: name,
    sha256: 'a'.repeat(64),
    createdBy: 'key:test',
  });
  expect(summaries[0].content).toBeUndefined();
  expect((await jobs.list()).map((j) => j.name)).toContain(name);
  const names = (await jobs.list()).map((j) => j.name);
  expect(names).toEqual([...names].sort());
});

it('a version number taken twice is a unique violation', async () => {
  const name = `job-${randomUUID().slice(0, 8)}`;
  await pg.job(name, 'flink-sql', 1);
  const refused = await transactions
    .run((tx) =>
      jobs.insertVersion(
        {
          jobName: name,
          version: 1,
          source: 'flink-sql/transactions.sql',
          content: '',
          sha256: '',
          parameters: {},
          createdBy: 'key:test',
        },
        tx,
      ),
    )
    .catch((e: unknown) => e);
  expect(transactions.isUniqueViolation(refused)).toBe(true);
});

it('jobLocked holds the job (FOR UPDATE) until its transaction ends: version numbers in turn', async () => {
  const name = `job-${randomUUID().slice(0, 8)}`;
  await pg.job(name, 'flink-sql', 1);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const first = transactions.run(async (tx) => {
    await jobs.jobLocked(name, tx);
    locked();
    await released;
  });
  await isLocked;
  const second = transactions.run((tx) => jobs.jobLocked(name, tx));
  expect(await stillWaiting(second)).toBe(true);
  release();
  await first;
  expect((await second)?.name).toBe(name);
});
