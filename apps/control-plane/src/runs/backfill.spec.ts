import { Logger } from '@nestjs/common';
import { loadConfig } from '@fstore/config';
import { BatchState } from '@fstore/livy';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { SourcesRepository } from '../jobs/sources.repository';
import { ControlMetrics } from '../metrics/metrics';
import { OperationExecutor } from '../operations/operation-executor';
import { InMemoryCheckpoints } from '../store/in-memory-checkpoints';
import { InMemoryFlink } from '../store/in-memory-flink';
import { inMemoryOperations } from '../store/in-memory-operations';
import { BatchRuntime } from './batch-runtime';
import { RunsExecutor } from './runs.executor';
import { RunsService } from './runs.service';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// A backfill (issue 19): one operation, a run a day, each after the one before succeeded, and
// nothing after the first failure; on the in-memory repositories and a batch runtime that ends
// each batch at once, failing the days it is told to.
const operator: Principal = { actor: 'key:test-operator', role: 'operator', keyId: 'k1' };
const AS_OF_JOB = 'spark-jobs/tests/jobs/fail_job.py';

class ScriptedRuntime implements BatchRuntime {
  readonly submitted: { file: string; args: string[]; name: string }[] = [];
  constructor(private readonly failingAsOf: string[] = []) {}
  submit(req: { file: string; args: string[]; name: string }): Promise<number> {
    this.submitted.push(req);
    return Promise.resolve(this.submitted.length);
  }
  findByName(name: string): Promise<number | undefined> {
    const i = this.submitted.findIndex((s) => s.name === name);
    return Promise.resolve(i < 0 ? undefined : i + 1);
  }
  state(batchId: number): Promise<BatchState> {
    const { args } = this.submitted[batchId - 1];
    const asOf = args[args.indexOf('--as-of') + 1];
    return Promise.resolve(this.failingAsOf.includes(asOf) ? 'dead' : 'success');
  }
  log(batchId: number): Promise<string[]> {
    const failed = this.failingAsOf.length > 0 && batchId === this.submitted.length;
    return Promise.resolve(failed ? ['FSTORE_ERROR no data for that day'] : ['done']);
  }
  kill(): Promise<void> {
    return Promise.resolve();
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
}

function setUp(failingAsOf: string[] = []) {
  const { store, queue, operations } = inMemoryOperations();
  const config = loadConfig({ FSTORE_STACK_DIR: '/nonexistent' });
  const service = new RunsService(store.runs, store.jobs, operations, config, new ControlMetrics());
  const runtime = new ScriptedRuntime(failingAsOf);
  const executor = new OperationExecutor(
    store.transactions,
    store.operations,
    store.deployments,
    store.jobs,
    new InMemoryFlink(),
    new AuditService(store.audit),
    new RunsExecutor(
      store.transactions,
      store.runs,
      store.operations,
      store.jobs,
      runtime,
      new SourcesRepository(),
      config,
    ),
    new InMemoryCheckpoints(),
  );
  store.jobs.add({ name: 'daily', kind: 'pyspark', description: '', createdBy: 'key:t' }, [
    { source: AS_OF_JOB, content: '' },
  ]);
  store.jobs.add({ name: 'sleeper', kind: 'pyspark', description: '', createdBy: 'key:t' }, [
    { source: 'spark-jobs/tests/jobs/sleep_job.py', content: '' },
  ]);
  return { store, queue, service, executor, runtime };
}

it('accepts one operation with its days; nothing runs before the worker takes it', async () => {
  const { store, queue, service } = setUp();
  const { operation } = await service.backfill(
    'daily',
    { from: '2024-02-28', to: '2024-03-01', args: ['x'] },
    operator,
  );
  expect(operation).toMatchObject({
    kind: 'backfill',
    target: 'job:daily',
    status: 'queued',
    request: { job: 'daily', from: '2024-02-28', to: '2024-03-01', args: ['x'] },
    progress: {
      version: 1,
      days: ['2024-02-28T00:00:00Z', '2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z'],
      runs: [],
    },
  });
  expect(queue.queued).toEqual([operation.id]);
  expect(store.tables.runs).toEqual([]);
  expect(store.tables.audit).toMatchObject([{ action: 'run.backfill', outcome: 'accepted' }]);
});

it('refuses a job without --as-of, a streaming one, bad dates and bad arguments, recording nothing', async () => {
  const { store, service } = setUp();
  const range = { from: '2024-03-01', to: '2024-03-02' };
  await expect(service.backfill('sleeper', range, operator)).rejects.toMatchObject({
    status: 400,
    detail: [
      {
        loc: ['path', 'name'],
        msg: `job sleeper (spark-jobs/tests/jobs/sleep_job.py) takes no --as-of: it cannot be backfilled`,
      },
    ],
  });
  await expect(service.backfill('nope', range, operator)).rejects.toMatchObject({ status: 404 });
  await expect(
    service.backfill('daily', { from: '2024-03-02', to: '2024-03-01' }, operator),
  ).rejects.toMatchObject({ detail: [{ loc: ['body', 'to'] }] });
  await expect(
    service.backfill('daily', { ...range, args: ['--nope'] }, operator),
  ).rejects.toMatchObject({ detail: [{ loc: ['body', 'args', 0] }] });
  expect(store.tables.operations).toEqual([]);
  expect(store.tables.runs).toEqual([]);
});

it('runs each day in order, as of its day, and lists the runs in its result', async () => {
  const { store, service, executor, runtime } = setUp();
  const { operation } = await service.backfill(
    'daily',
    { from: '2024-03-01', to: '2024-03-03' },
    operator,
  );
  await executor.execute(operation.id, 1, 3);
  const op = await store.operations.get(operation.id);
  const runs = [...store.tables.runs].sort((a, b) => a.asOf!.getTime() - b.asOf!.getTime());
  expect(runs.map((r) => [r.args, r.state, r.operationId])).toEqual(
    ['2024-03-01', '2024-03-02', '2024-03-03'].map((d) => [
      ['--as-of', `${d}T00:00:00Z`],
      'success',
      operation.id,
    ]),
  );
  expect(runtime.submitted.map((s) => s.args)).toEqual(runs.map((r) => r.args));
  expect(op).toMatchObject({
    status: 'succeeded',
    progress: { runs: runs.map((r) => r.id) },
    result: {
      days: 3,
      runs: runs.map((r, i) => ({
        as_of: `2024-03-0${i + 1}T00:00:00Z`,
        run_id: r.id,
        livy_batch_id: i + 1,
      })),
    },
  });
});

it('stops at the first failing day: that run failed, the days after it never started', async () => {
  const { store, service, executor, runtime } = setUp(['2024-03-02T00:00:00Z']);
  const { operation } = await service.backfill(
    'daily',
    { from: '2024-03-01', to: '2024-03-04' },
    operator,
  );
  await executor.execute(operation.id, 1, 3);
  const op = await store.operations.get(operation.id);
  expect(runtime.submitted).toHaveLength(2);
  const [first, second] = op!.progress.runs as string[];
  expect(op).toMatchObject({
    status: 'failed',
    error: `day 2 of 4 (as of 2024-03-02T00:00:00Z, run ${second}) failed: no data for that day; the 2 day(s) after it were not started`,
  });
  expect((await store.runs.get(first))?.state).toBe('success');
  expect(await store.runs.get(second)).toMatchObject({
    state: 'failed',
    error: op!.error,
  });
  expect(store.tables.runs).toHaveLength(2);
});

it('a resumed backfill follows the run it already made instead of making another', async () => {
  const { store, service, executor, runtime } = setUp();
  const { operation } = await service.backfill(
    'daily',
    { from: '2024-03-01', to: '2024-03-02' },
    operator,
  );
  // A worker died after day 1's run was recorded and submitted, before it was followed.
  await executor.execute(operation.id, 1, 3);
  const done = await store.operations.get(operation.id);
  const again = { ...done!, status: 'running' as const, result: null, finishedAt: null };
  store.tables.operations = store.tables.operations.map((o) => (o.id === again.id ? again : o));
  await executor.execute(operation.id, 2, 3);
  expect(runtime.submitted).toHaveLength(2);
  expect(store.tables.runs).toHaveLength(2);
});
