import { randomUUID } from 'crypto';
import { DeploymentEntity } from '@fstore/control-store';
import { startingDeployment } from '../src/deployments/deployments.repository';
import { TypeOrmFeatureRegistryRepository } from '../src/features/feature-registry.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { ThrowAwaySchema } from './pg-schema';

// TypeOrmFeatureRegistryRepository against PostgreSQL (issue 22): each feature's latest version,
// versions recorded inside the apply's transaction (and gone when it rolls back), and what the
// catalog reads beside the registry.
const pg = new ThrowAwaySchema();
let registry: TypeOrmFeatureRegistryRepository;
let transactions: TypeOrmTransactions;

beforeAll(async () => {
  await pg.start();
  registry = new TypeOrmFeatureRegistryRepository(pg.db);
  transactions = new TypeOrmTransactions(pg.db);
});
afterAll(() => pg.stop());

const version = (name: string, n: number, removed = false) => ({
  name,
  version: n,
  computeHash: `hash-${n}`,
  engine: 'stream',
  source: 'transactions',
  definition: { name, n },
  removed,
  appliedBy: 'key:test',
});

it('answers each feature once, at its latest version, in name order', async () => {
  await transactions.run(async (tx) => {
    await registry.lockForApply(tx);
    await registry.insert(version('b_feature', 1), tx);
    await registry.insert(version('a_feature', 1), tx);
    await registry.insert(version('a_feature', 2, true), tx);
  });
  const latest = await registry.latest();
  expect(latest.map((r) => [r.name, r.version, r.computeHash, r.removed])).toEqual([
    ['a_feature', 2, 'hash-2', true],
    ['b_feature', 1, 'hash-1', false],
  ]);
  expect(latest[0]).toMatchObject({ appliedBy: 'key:test', definition: { name: 'a_feature' } });
  expect(latest[0].appliedAt).toBeInstanceOf(Date);
});

it('versions recorded in a transaction that rolls back are not kept; a version is recorded once', async () => {
  await expect(
    transactions.run(async (tx) => {
      await registry.lockForApply(tx);
      await registry.insert(version('c_feature', 1), tx);
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');
  expect((await registry.latest()).map((r) => r.name)).not.toContain('c_feature');
  const twice = transactions.run(async (tx) => {
    await registry.insert(version('b_feature', 1), tx);
  });
  const refusal = await twice.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(transactions.isUniqueViolation(refusal)).toBe(true);
});

it("answers one feature's versions newest first, with the definition as stored; none for another name", async () => {
  await transactions.run(async (tx) => {
    await registry.lockForApply(tx);
    await registry.insert(version('d_feature', 1), tx);
  });
  await transactions.run(async (tx) => {
    await registry.lockForApply(tx);
    await registry.insert(version('d_feature', 2), tx);
    await registry.insert(version('d_feature', 3, true), tx);
  });
  const versions = await registry.versions('d_feature');
  expect(versions.map(({ appliedAt: _at, ...v }) => v)).toEqual([
    { version: 3, removed: true, appliedBy: 'key:test', definition: { name: 'd_feature', n: 3 } },
    { version: 2, removed: false, appliedBy: 'key:test', definition: { name: 'd_feature', n: 2 } },
    { version: 1, removed: false, appliedBy: 'key:test', definition: { name: 'd_feature', n: 1 } },
  ]);
  expect(versions.every((v) => v.appliedAt instanceof Date)).toBe(true);
  expect(versions[1].appliedAt.getTime()).toBeGreaterThanOrEqual(versions[2].appliedAt.getTime());
  expect(await registry.versions('no_feature')).toEqual([]);
});

it('reads which jobs run a file, their newest live deployment and their newest successful run', async () => {
  const job = `features-t${randomUUID().slice(0, 8)}`;
  await pg.job(job, 'flink-sql');
  expect(await registry.jobsRunning('flink-sql/transactions.sql')).toContain(job);
  expect(await registry.newestLiveDeployment([job])).toBeNull();
  const deployment = await pg.db
    .getRepository(DeploymentEntity)
    .save(startingDeployment(job, 1, null));
  expect((await registry.newestLiveDeployment([job]))?.id).toBe(deployment.id);
  const live = await registry.liveDeployments('features-t');
  expect(live.find((l) => l.deployment.id === deployment.id)?.sha256).toBe('x'.repeat(64));
  expect(await registry.newestSuccessfulRun([job])).toBeNull();
});
