import { Logger } from '@nestjs/common';
import { loadConfig } from '@fstore/config';
import { DeploymentEntity, DesiredState } from '@fstore/control-store';
import { ControlMetrics } from '../metrics/metrics';
import { InMemoryFlink } from '../store/in-memory-flink';
import { inMemoryOperations } from '../store/in-memory-operations';
import { DeploymentsService } from './deployments.service';
import { ReconcilerService } from './reconciler.service';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// What the reconciler decides (issue 22): desired against observed, the drift it records, what
// it leaves alone, and the operations it queues again; on the in-memory repositories.
function setUp() {
  const { store, queue, operations } = inMemoryOperations();
  const flink = new InMemoryFlink();
  const metrics = new ControlMetrics();
  const reconciler = new ReconcilerService(
    loadConfig({ FSTORE_STACK_DIR: '/nonexistent' }),
    store.deployments,
    store.operations,
    flink,
    operations,
    metrics,
    new DeploymentsService(store.deployments, store.jobs, operations),
  );
  store.jobs.add({ name: 'stream', kind: 'flink-sql', description: '', createdBy: 'key:t' }, [
    { source: 'flink-sql/transactions.sql', content: 'v1' },
  ]);
  const observedAt = new Date('2026-01-01T00:00:00Z');
  /** A deployment the worker has finished with, its Flink job j1 observed as given. */
  const deployment = (desiredState: DesiredState, changes: Partial<DeploymentEntity> = {}) =>
    store.deployments.insert({
      jobName: 'stream',
      version: 1,
      desiredState,
      observedState: 'RUNNING',
      observedAt,
      flinkJobId: 'j1',
      lastSavepoint: null,
      startedFrom: null,
      restarts: 0,
      drift: null,
      driftAt: null,
      pendingOperationId: null,
      ...changes,
    });
  const running = async (id: string) =>
    (await metrics.deploymentRunning.get()).values.find((v) => v.labels.deployment === id)?.value;
  return { store, queue, flink, reconciler, deployment, running, observedAt };
}

describe('a deployment meant to run', () => {
  it('running as wished: observed now, no drift, reported running', async () => {
    const { store, flink, reconciler, deployment, running, observedAt } = setUp();
    const dep = await deployment('running');
    flink.jobs.set('j1', { state: 'RUNNING', restarts: 0 });
    expect(await reconciler.reconcile()).toBe(1);
    const after = await store.deployments.get(dep.id);
    expect(after).toMatchObject({ observedState: 'RUNNING', drift: null, driftAt: null });
    expect(after!.observedAt!.getTime()).toBeGreaterThan(observedAt.getTime());
    expect(await running(dep.id)).toBe(1);
  });

  it.each([
    [{ state: 'FAILED', failure: 'boom', restarts: 0 }, 'FAILED', 'failed: boom'],
    [{ state: 'FAILING', restarts: 0 }, 'FAILING', 'failed: no root cause reported'],
    [
      { state: 'RESTARTING', failure: 'lost TM', restarts: 1 },
      'RESTARTING',
      'restarted: 1 restart(s); last cause: lost TM',
    ],
    [{ state: 'RUNNING', restarts: 2 }, 'RUNNING', 'restarted: 2 restart(s)'],
    [{ state: 'CANCELED', restarts: 0 }, 'CANCELED', 'not running: Flink reports CANCELED'],
    [{ state: 'FINISHED', restarts: 0 }, 'FINISHED', 'not running: Flink reports FINISHED'],
  ] as const)('Flink reports %j: observed %s, drift "%s"', async (job, observed, drift) => {
    const { store, flink, reconciler, deployment, running } = setUp();
    const dep = await deployment('running');
    flink.jobs.set('j1', job);
    await reconciler.reconcile();
    const after = await store.deployments.get(dep.id);
    expect(after).toMatchObject({ observedState: observed, drift, restarts: job.restarts });
    expect(after!.driftAt).toEqual(after!.observedAt);
    expect(await running(dep.id)).toBe(0);
  });

  it('vanished: Flink does not know the job; recorded, then a recover operation owns it', async () => {
    const { store, queue, reconciler, deployment } = setUp();
    const dep = await deployment('running');
    await reconciler.reconcile();
    expect(store.tables.operations).toHaveLength(1);
    const [op] = store.tables.operations;
    expect(op).toMatchObject({
      kind: 'recover',
      target: `deployment:${dep.id}`,
      idempotencyKey: `recover:${dep.id}:j1`,
      request: { deployment: dep.id },
      status: 'queued',
      progress: { previousDesired: 'running', vanishedJobId: 'j1' },
      actor: 'system:reconciler',
    });
    expect(queue.queued).toEqual([op.id]);
    expect(await store.deployments.get(dep.id)).toMatchObject({
      desiredState: 'running',
      observedState: 'VANISHED',
      drift: 'vanished: Flink does not know job j1',
      pendingOperationId: op.id,
    });
    expect(await store.audit.list({ actor: 'system:reconciler', limit: 10 })).toMatchObject([
      {
        action: 'deployment.recover',
        target: `deployment:${dep.id}`,
        outcome: 'accepted',
        detail: { operation_id: op.id, request: { deployment: dep.id } },
      },
    ]);
  });

  it('recovers a vanished job once: not again on later passes, nor after it failed', async () => {
    const { store, queue, reconciler, deployment } = setUp();
    const dep = await deployment('running');
    await reconciler.reconcile();
    await reconciler.reconcile(); // the operation owns the deployment: not observed
    expect(store.tables.operations).toHaveLength(1);
    // The worker failed it (what OperationExecutor.fail records): the drift says why, and stays.
    const [op] = store.tables.operations;
    await store.operations.fail(op.id, 'no complete retained checkpoint of Flink job j1');
    await store.deployments.update(dep.id, {
      pendingOperationId: null,
      drift: 'recover failed: no complete retained checkpoint of Flink job j1',
    });
    await reconciler.reconcile();
    await reconciler.reconcile();
    expect(store.tables.operations).toHaveLength(1);
    expect(queue.queued).toEqual([op.id]);
    expect(await store.deployments.get(dep.id)).toMatchObject({
      observedState: 'VANISHED',
      drift:
        'vanished: Flink does not know job j1; recover failed: no complete retained checkpoint of Flink job j1',
      pendingOperationId: null,
    });
  });

  it('a later Flink job of the deployment that vanishes is recovered again', async () => {
    const { store, reconciler, deployment } = setUp();
    const dep = await deployment('running');
    await reconciler.reconcile();
    const [first] = store.tables.operations;
    // Recovered as job j2 (what OperationExecutor.finish records), which vanishes too.
    await store.operations.succeed(first.id, {});
    await store.deployments.update(dep.id, { pendingOperationId: null, flinkJobId: 'j2' });
    await reconciler.reconcile();
    expect(store.tables.operations.map((o) => o.idempotencyKey)).toEqual([
      `recover:${dep.id}:j1`,
      `recover:${dep.id}:j2`,
    ]);
  });

  it('an operator’s operation that took the deployment first wins; the pass goes on', async () => {
    const { store, flink, reconciler, deployment } = setUp();
    store.jobs.add({ name: 'other', kind: 'flink-sql', description: '', createdBy: 'key:t' }, [
      { source: 'flink-sql/transactions.sql', content: 'v1' },
    ]);
    const dep = await deployment('running');
    const other = await deployment('running', { jobName: 'other', flinkJobId: 'j9' });
    flink.jobs.set('j9', { state: 'RUNNING', restarts: 0 });
    // Between the reconciler's read and its transition, an operator pauses the deployment.
    const toObserve = store.deployments.toObserve.bind(store.deployments);
    store.deployments.toObserve = async () => {
      const rows = await toObserve();
      await store.deployments.update(dep.id, {
        desiredState: 'paused',
        pendingOperationId: '00000000-0000-4000-8000-000000000002',
      });
      return rows;
    };
    expect(await reconciler.reconcile()).toBe(2);
    expect(store.tables.operations).toHaveLength(0);
    expect(await store.deployments.get(other.id)).toMatchObject({ observedState: 'RUNNING' });
  });

  it('keeps a restart note (and its time) while the job runs on, until someone acts', async () => {
    const { store, flink, reconciler, deployment, running } = setUp();
    const dep = await deployment('running');
    flink.jobs.set('j1', { state: 'RUNNING', restarts: 1 });
    await reconciler.reconcile();
    const noted = await store.deployments.get(dep.id);
    expect(noted).toMatchObject({ drift: 'restarted: 1 restart(s)', restarts: 1 });
    await reconciler.reconcile();
    const later = await store.deployments.get(dep.id);
    expect(later).toMatchObject({ observedState: 'RUNNING', drift: 'restarted: 1 restart(s)' });
    expect(later!.driftAt).toEqual(noted!.driftAt);
    expect(await running(dep.id)).toBe(0);
  });

  it('clears a drift once the job runs as wished again', async () => {
    const { store, flink, reconciler, deployment, running } = setUp();
    const dep = await deployment('running', {
      observedState: 'CANCELED',
      drift: 'not running: Flink reports CANCELED',
      driftAt: new Date(),
    });
    flink.jobs.set('j1', { state: 'RUNNING', restarts: 0 });
    await reconciler.reconcile();
    expect(await store.deployments.get(dep.id)).toMatchObject({
      observedState: 'RUNNING',
      drift: null,
      driftAt: null,
    });
    expect(await running(dep.id)).toBe(1);
  });

  it('Flink unreachable: says so, and keeps the last real observation', async () => {
    const { store, flink, reconciler, deployment, observedAt } = setUp();
    const dep = await deployment('running');
    flink.unreachable = new Error('connect ECONNREFUSED');
    expect(await reconciler.reconcile()).toBe(1);
    expect(await store.deployments.get(dep.id)).toMatchObject({
      observedState: 'RUNNING',
      observedAt,
      drift: 'cannot observe: connect ECONNREFUSED',
    });
  });
});

describe('a paused deployment', () => {
  it('running although paused is drift; stopped is as wished', async () => {
    const { store, flink, reconciler, deployment, running } = setUp();
    const dep = await deployment('paused', { observedState: 'FINISHED' });
    flink.jobs.set('j1', { state: 'RUNNING', restarts: 0 });
    await reconciler.reconcile();
    expect(await store.deployments.get(dep.id)).toMatchObject({
      observedState: 'RUNNING',
      drift: 'running although paused',
    });
    flink.jobs.set('j1', { state: 'FINISHED', restarts: 0 });
    await reconciler.reconcile();
    expect(await store.deployments.get(dep.id)).toMatchObject({
      observedState: 'FINISHED',
      drift: null,
    });
    expect(await running(dep.id)).toBeUndefined();
  });

  it('vanished while paused: drift only, nothing to recover (resume starts it)', async () => {
    const { store, reconciler, deployment } = setUp();
    const dep = await deployment('paused', {
      observedState: 'FINISHED',
      lastSavepoint: 'file:/sp',
    });
    await reconciler.reconcile();
    expect(store.tables.operations).toHaveLength(0);
    expect(await store.deployments.get(dep.id)).toMatchObject({
      observedState: 'VANISHED',
      drift: 'vanished: Flink does not know job j1',
      pendingOperationId: null,
    });
  });
});

it('leaves alone deployments an operation owns, cancelled ones and ones with no Flink job', async () => {
  const { store, flink, reconciler, deployment } = setUp();
  for (const name of ['stream-2', 'stream-3']) {
    store.jobs.add({ name, kind: 'flink-sql', description: '', createdBy: 'key:t' }, [
      { source: 'flink-sql/transactions.sql', content: 'v1' },
    ]);
  }
  const owned = await deployment('running', {
    pendingOperationId: '00000000-0000-4000-8000-000000000001',
  });
  const cancelled = await deployment('cancelled', { jobName: 'stream-2' });
  const noJob = await deployment('running', { jobName: 'stream-3', flinkJobId: null });
  flink.jobs.set('j1', { state: 'FAILED', restarts: 0 });
  expect(await reconciler.reconcile()).toBe(0);
  for (const { id } of [owned, cancelled, noJob]) {
    expect(await store.deployments.get(id)).toMatchObject({
      observedState: 'RUNNING',
      drift: null,
    });
  }
});

it('queues again operations unfinished for a minute that the queue does not hold', async () => {
  const { store, queue, reconciler } = setUp();
  const old = new Date(Date.now() - 120_000);
  const operation = (id: string, status: 'queued' | 'running' | 'succeeded') => ({
    id,
    idempotencyKey: null,
    kind: 'deploy' as const,
    target: 'deployment:x',
    request: {},
    status,
    attempts: 0,
    progress: {},
    result: null,
    error: null,
    actor: 'key:t',
    finishedAt: null,
  });
  await store.operations.insert(operation('lost-queued', 'queued'));
  await store.operations.insert(operation('lost-running', 'running'));
  await store.operations.insert(operation('held', 'queued'));
  await store.operations.insert(operation('done', 'succeeded'));
  await store.operations.insert(operation('recent', 'queued'));
  for (const row of store.tables.operations) if (row.id !== 'recent') row.updatedAt = old;
  await queue.enqueue('held');
  await reconciler.reconcile();
  expect(queue.queued).toEqual(['held', 'lost-queued', 'lost-running']);
});
