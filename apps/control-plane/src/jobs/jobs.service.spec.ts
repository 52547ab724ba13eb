import { Logger } from '@nestjs/common';
import { loadConfig } from '@fstore/config';
import { FlinkJobs } from '@fstore/flink';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { FlinkRepository } from '../flink/flink.repository';
import { InMemoryControlStore } from '../store/in-memory';
import { JobsService } from './jobs.service';
import { SourcesRepository } from './sources.repository';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// Registering jobs and their versions (issue 22), on the in-memory repositories with the
// checkout's real sources and Flink's script checks (which send nothing).
const operator: Principal = { actor: 'key:test-operator', role: 'operator', keyId: 'k1' };
const SOURCE = 'flink-sql/transactions.sql';

function setUp() {
  const store = new InMemoryControlStore();
  const config = loadConfig({ FSTORE_STACK_DIR: '/nonexistent' });
  const jobs = new JobsService(
    store.transactions,
    store.jobs,
    store.deployments,
    new SourcesRepository(),
    new FlinkRepository(FlinkJobs.fromConfig(config)),
    new AuditService(store.audit),
  );
  return { store, jobs };
}

it('registers a job with its version 1 (content and sha256 kept), audited', async () => {
  const { store, jobs } = setUp();
  const v1 = await jobs.register({ name: 'stream', kind: 'flink-sql', source: SOURCE }, operator);
  expect(v1).toMatchObject({ jobName: 'stream', version: 1, source: SOURCE, parameters: {} });
  expect(v1.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(v1.content.length).toBeGreaterThan(0);
  expect(await jobs.getJob('stream')).toMatchObject({
    name: 'stream',
    kind: 'flink-sql',
    description: '',
    createdBy: 'key:test-operator',
  });
  expect(await store.audit.list({ target: 'job:stream', limit: 10 })).toMatchObject([
    {
      action: 'job.register',
      outcome: 'succeeded',
      detail: { version: 1, source: SOURCE, sha256: v1.sha256, parameters: {} },
    },
  ]);
});

it('refuses a job that exists (409), and records nothing more', async () => {
  const { store, jobs } = setUp();
  await jobs.register({ name: 'stream', kind: 'flink-sql', source: SOURCE }, operator);
  await expect(
    jobs.register({ name: 'stream', kind: 'flink-sql', source: SOURCE }, operator),
  ).rejects.toMatchObject({
    status: 409,
    message: 'job stream exists; register a new version of it instead',
  });
  expect(store.tables.versions).toHaveLength(1);
  expect(store.tables.audit).toHaveLength(1);
});

it('numbers the next versions 2, 3; a job’s description lists them without content', async () => {
  const { jobs } = setUp();
  await jobs.register({ name: 'stream', kind: 'flink-sql', source: SOURCE }, operator);
  const parameters = { TRANSACTIONS_TOPIC: 'test.in' };
  expect((await jobs.addVersion('stream', { source: SOURCE, parameters }, operator)).version).toBe(
    2,
  );
  expect((await jobs.addVersion('stream', { source: SOURCE }, operator)).version).toBe(3);
  const { job, versions, live } = await jobs.describe('stream');
  expect(job.name).toBe('stream');
  expect(versions.map((v) => [v.version, v.parameters])).toEqual([
    [1, {}],
    [2, parameters],
    [3, {}],
  ]);
  expect(versions[0].content).toBeUndefined();
  expect(live).toBeNull();
  expect((await jobs.getVersion('stream', 2)).content.length).toBeGreaterThan(0);
  expect((await jobs.list()).map((j) => j.name)).toEqual(['stream']);
});

it('an unknown job or version is 404; a source outside the job folders is 400', async () => {
  const { store, jobs } = setUp();
  await expect(jobs.getJob('nope')).rejects.toMatchObject({ status: 404 });
  await expect(jobs.addVersion('nope', { source: SOURCE }, operator)).rejects.toMatchObject({
    status: 404,
  });
  await jobs.register({ name: 'stream', kind: 'flink-sql', source: SOURCE }, operator);
  await expect(jobs.getVersion('stream', 9)).rejects.toMatchObject({
    status: 404,
    message: 'job version stream@9 not found',
  });
  await expect(
    jobs.register({ name: 'bad', kind: 'flink-sql', source: '../etc/passwd' }, operator),
  ).rejects.toMatchObject({ status: 400, detail: [{ loc: ['body', 'source'] }] });
  expect(await store.jobs.job('bad')).toBeNull();
});
