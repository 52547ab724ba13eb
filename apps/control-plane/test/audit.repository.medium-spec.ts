import { randomUUID } from 'crypto';
import { TypeOrmAuditRepository } from '../src/audit/audit.repository';
import { TypeOrmTransactions } from '../src/store/typeorm-transactions';
import { ThrowAwaySchema } from './pg-schema';

// TypeOrmAuditRepository against PostgreSQL (issue 22): entries appended alone or with the
// transaction they describe, listed newest first by target and actor.
const pg = new ThrowAwaySchema();
let audit: TypeOrmAuditRepository;
let transactions: TypeOrmTransactions;

beforeAll(async () => {
  await pg.start();
  audit = new TypeOrmAuditRepository(pg.db);
  transactions = new TypeOrmTransactions(pg.db);
});
afterAll(() => pg.stop());

const entry = (target: string, actor = 'key:test', action = 'job.register') => ({
  actor,
  action,
  target,
  outcome: 'succeeded',
  detail: { n: 1 },
});

it('appends entries and lists them newest first, by target and by actor', async () => {
  const target = `job:${randomUUID()}`;
  await audit.append(entry(target, 'key:a', 'first'));
  await audit.append(entry(target, 'key:b', 'second'));
  await audit.append(entry(`job:${randomUUID()}`, 'key:a', 'elsewhere'));
  const of = await audit.list({ target, limit: 10 });
  expect(of.map((e) => e.action)).toEqual(['second', 'first']);
  expect(of[0]).toMatchObject({ actor: 'key:b', outcome: 'succeeded', detail: { n: 1 } });
  expect(of[0].at).toBeInstanceOf(Date);
  expect((await audit.list({ target, actor: 'key:a', limit: 10 })).map((e) => e.action)).toEqual([
    'first',
  ]);
  expect(await audit.list({ target, limit: 1 })).toHaveLength(1);
});

it('an entry appended in a transaction that is rolled back is not kept', async () => {
  const target = `job:${randomUUID()}`;
  await expect(
    transactions.run(async (tx) => {
      await audit.append(entry(target), tx);
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');
  expect(await audit.list({ target, limit: 10 })).toEqual([]);
  await transactions.run((tx) => audit.append(entry(target), tx));
  expect(await audit.list({ target, limit: 10 })).toHaveLength(1);
});
