import { randomUUID } from 'crypto';
import { TypeOrmJobsRepository } from '../src/jobs/jobs.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { ThrowAwaySchema } from './pg-schema';

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
