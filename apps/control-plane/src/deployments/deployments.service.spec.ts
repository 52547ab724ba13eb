import { Logger } from '@nestjs/common';
import { ERRORS } from '@fstore/rest-api';
import { Principal } from '../auth/api-keys.service';
import { inMemoryOperations } from '../store/in-memory-operations';
import { DeploymentsService } from './deployments.service';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// The deployment state machine and the operations' idempotency (issue 22), on the in-memory
// repositories: what is accepted, what is refused (and then nothing is recorded).
const operator: Principal = { actor: 'key:test-operator', role: 'operator', keyId: 'k1' };

function setUp() {
  const { store, queue, operations } = inMemoryOperations();
  const deployments = new DeploymentsService(store.deployments, store.jobs, operations);
  store.jobs.add({ name: 'stream', kind: 'flink-sql', description: '', createdBy: 'key:t' }, [
    { source: 'flink-sql/transactions.sql', content: 'v1' },
    { source: 'flink-sql/transactions.sql', content: 'v2' },
  ]);
  store.jobs.add({ name: 'batch', kind: 'pyspark', description: '', createdBy: 'key:t' }, [
    { source: 'spark-jobs/batch_features.py', content: '' },
  ]);
  /** The worker finished the deployment's operation (what OperationExecutor.finish records). */
  const finished = (id: string, changes: object = {}) =>
    store.deployments.update(id, { pendingOperationId: null, ...changes });
  return { store, queue, deployments, finished };
}

const depIdOf = (target: string) => target.replace(/^deployment:/, '');

describe('deploy', () => {
  it('records the deployment owned by a queued operation, audited, and queues it', async () => {
    const { store, queue, deployments } = setUp();
    const { operation, created } = await deployments.deploy('stream', 1, operator);
    expect(created).toBe(true);
    expect(operation).toMatchObject({
      kind: 'deploy',
      status: 'queued',
      attempts: 0,
      request: { job: 'stream', version: 1 },
      progress: {},
      actor: 'key:test-operator',
      idempotencyKey: null,
    });
    const dep = await store.deployments.get(depIdOf(operation.target));
    expect(dep).toMatchObject({
      jobName: 'stream',
      version: 1,
      desiredState: 'running',
      observedState: 'NONE',
      pendingOperationId: operation.id,
    });
    expect(queue.queued).toEqual([operation.id]);
    expect(await store.audit.list({ limit: 10 })).toMatchObject([
      {
        action: 'deployment.deploy',
        target: operation.target,
        outcome: 'accepted',
        detail: { operation_id: operation.id, request: { job: 'stream', version: 1 } },
      },
    ]);
  });

  it('refuses a second live deployment of the job, and records nothing', async () => {
    const { store, queue, deployments } = setUp();
    const first = await deployments.deploy('stream', 1, operator);
    const live = depIdOf(first.operation.target);
    await expect(deployments.deploy('stream', 2, operator)).rejects.toMatchObject({
      status: ERRORS.exists.status,
      code: ERRORS.exists.code,
      message: `job stream already has a live deployment (${live}, running); upgrade or cancel it`,
      detail: [{ loc: ['deployment_id'], msg: live, type: 'state_error.live_deployment' }],
    });
    expect(await store.deployments.list({})).toHaveLength(1);
    expect(store.tables.operations).toHaveLength(1);
    expect(await store.audit.list({ limit: 10 })).toHaveLength(1);
    expect(queue.queued).toEqual([first.operation.id]);
  });

  it('deploys again once the live deployment is cancelled', async () => {
    const { deployments, finished } = setUp();
    const first = await deployments.deploy('stream', 1, operator);
    const id = depIdOf(first.operation.target);
    await finished(id);
    await deployments.transition(id, 'cancel', operator);
    await finished(id);
    const second = await deployments.deploy('stream', 2, operator);
    expect(second.created).toBe(true);
    expect(depIdOf(second.operation.target)).not.toBe(id);
  });

  it('refuses an unknown job (404), a batch job and an unknown version (400 naming the field)', async () => {
    const { store, deployments } = setUp();
    await expect(deployments.deploy('nope', 1, operator)).rejects.toMatchObject({
      status: 404,
      message: 'job nope not found',
    });
    await expect(deployments.deploy('batch', 1, operator)).rejects.toMatchObject({
      status: 400,
      detail: [
        {
          loc: ['path', 'name'],
          msg: 'job batch is a batch job: trigger a run instead',
          type: 'value_error',
        },
      ],
    });
    await expect(deployments.deploy('stream', 3, operator)).rejects.toMatchObject({
      status: 400,
      detail: [
        { loc: ['body', 'version'], msg: 'job stream has no version 3', type: 'value_error' },
      ],
    });
    expect(store.tables.operations).toEqual([]);
    expect(store.tables.deployments).toEqual([]);
  });
});

describe('idempotency keys', () => {
  it('the same request with the same key answers the same operation (queued again)', async () => {
    const { store, queue, deployments } = setUp();
    const first = await deployments.deploy('stream', 1, operator, 'key-1');
    const again = await deployments.deploy('stream', 1, operator, 'key-1');
    expect(again.created).toBe(false);
    expect(again.operation.id).toBe(first.operation.id);
    expect(again.operation.idempotencyKey).toBe('key-1');
    expect(store.tables.operations).toHaveLength(1);
    expect(store.tables.deployments).toHaveLength(1);
    // Still queued in PostgreSQL: queued again in case Redis lost it.
    expect(queue.queued).toEqual([first.operation.id, first.operation.id]);
  });

  it('an operation that has started is not queued again', async () => {
    const { store, queue, deployments } = setUp();
    const first = await deployments.deploy('stream', 1, operator, 'key-1');
    await store.operations.markRunning(first.operation.id);
    const again = await deployments.deploy('stream', 1, operator, 'key-1');
    expect(again).toMatchObject({ created: false, operation: { status: 'running', attempts: 1 } });
    expect(queue.queued).toEqual([first.operation.id]);
  });

  it('the same key for another request is refused (409), even with keys in another order', async () => {
    const { deployments, finished } = setUp();
    const first = await deployments.deploy('stream', 1, operator, 'key-1');
    await expect(deployments.deploy('stream', 2, operator, 'key-1')).rejects.toMatchObject({
      status: ERRORS.idempotencyKeyReused.status,
      code: ERRORS.idempotencyKeyReused.code,
      message: 'Idempotency-Key key-1 was already used for a different request',
    });
    const id = depIdOf(first.operation.target);
    await finished(id);
    await expect(deployments.transition(id, 'pause', operator, 'key-1')).rejects.toMatchObject({
      code: ERRORS.idempotencyKeyReused.code,
    });
  });

  it('a refused request leaves its key free', async () => {
    const { deployments } = setUp();
    await expect(deployments.deploy('stream', 9, operator, 'key-1')).rejects.toMatchObject({
      status: 400,
    });
    const { created } = await deployments.deploy('stream', 1, operator, 'key-1');
    expect(created).toBe(true);
  });

  it('the operation is accepted when the queue is down (the sweep queues it later)', async () => {
    const { store, queue, deployments } = setUp();
    queue.down = true;
    const { operation, created } = await deployments.deploy('stream', 1, operator);
    expect(created).toBe(true);
    expect(await store.operations.get(operation.id)).toMatchObject({ status: 'queued' });
    expect(queue.queued).toEqual([]);
  });
});

describe('transitions', () => {
  async function running() {
    const s = setUp();
    const { operation } = await s.deployments.deploy('stream', 1, operator);
    const id = depIdOf(operation.target);
    await s.finished(id, { observedState: 'RUNNING', flinkJobId: 'j1' });
    return { ...s, id, target: operation.target };
  }

  it('pause: the desired state changes, the deployment is the operation’s, the previous state kept', async () => {
    const { store, deployments, id } = await running();
    const { operation } = await deployments.transition(id, 'pause', operator);
    expect(operation).toMatchObject({
      kind: 'pause',
      target: `deployment:${id}`,
      request: { deployment: id },
      progress: { previousDesired: 'running' },
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'paused',
      pendingOperationId: operation.id,
      observedState: 'RUNNING',
    });
  });

  it('refuses any action while an operation owns the deployment', async () => {
    const { store, deployments, id } = await running();
    const pause = await deployments.transition(id, 'pause', operator);
    await expect(deployments.transition(id, 'cancel', operator)).rejects.toMatchObject({
      status: ERRORS.operationInProgress.status,
      code: ERRORS.operationInProgress.code,
      message: `deployment:${id} has an operation in progress (${pause.operation.id})`,
    });
    expect(await store.deployments.get(id)).toMatchObject({ desiredState: 'paused' });
  });

  it.each([
    ['resume', 'running', 'only a paused deployment can be resumed'],
    ['pause', 'paused', 'only a running deployment can be paused'],
    ['upgrade', 'paused', 'only a running deployment can be upgraded'],
    ['cancel', 'cancelled', 'the deployment is already cancelled'],
    ['resume', 'cancelled', 'only a paused deployment can be resumed'],
    ['recover', 'paused', 'only a deployment meant to run can be recovered'],
    ['recover', 'cancelled', 'only a deployment meant to run can be recovered'],
  ] as const)('refuses %s when it is %s', async (action, state, why) => {
    const { store, deployments, id } = await running();
    await store.deployments.update(id, { desiredState: state, lastSavepoint: 'file:/sp' });
    const version = action === 'upgrade' ? 2 : undefined;
    await expect(
      deployments.transition(id, action, operator, undefined, version),
    ).rejects.toMatchObject({
      status: ERRORS.illegalTransition.status,
      code: ERRORS.illegalTransition.code,
      message: `Cannot ${action} deployment:${id}: it is ${state}`,
      detail: [{ loc: ['state'], msg: why, type: 'state_error.illegal_transition' }],
    });
    expect(store.tables.operations).toHaveLength(1);
    expect(await store.deployments.get(id)).toMatchObject({ desiredState: state });
  });

  it('resume needs a savepoint; with one, the deployment is to run again', async () => {
    const { store, deployments, id, finished } = await running();
    await deployments.transition(id, 'pause', operator);
    await finished(id);
    await expect(deployments.transition(id, 'resume', operator)).rejects.toMatchObject({
      code: ERRORS.illegalTransition.code,
      detail: [{ loc: ['state'], msg: 'there is no savepoint' }],
    });
    await store.deployments.update(id, { lastSavepoint: 'file:/savepoints/sp-1' });
    const { operation } = await deployments.transition(id, 'resume', operator);
    expect(operation.progress).toEqual({ previousDesired: 'paused' });
    expect(await store.deployments.get(id)).toMatchObject({ desiredState: 'running' });
  });

  it('upgrade: to another registered version only', async () => {
    const { store, deployments, id } = await running();
    await expect(
      deployments.transition(id, 'upgrade', operator, undefined, 1),
    ).rejects.toMatchObject({
      status: 400,
      detail: [{ loc: ['body', 'version'], msg: 'the deployment already runs version 1' }],
    });
    await expect(
      deployments.transition(id, 'upgrade', operator, undefined, 7),
    ).rejects.toMatchObject({
      status: 400,
      detail: [{ loc: ['body', 'version'], msg: 'job stream has no version 7' }],
    });
    expect(await store.deployments.get(id)).toMatchObject({ pendingOperationId: null });
    const { operation } = await deployments.transition(id, 'upgrade', operator, undefined, 2);
    expect(operation.request).toEqual({ deployment: id, version: 2 });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      version: 1, // the worker changes the version when the new one runs
      pendingOperationId: operation.id,
    });
  });

  it('recover: of a deployment meant to run, fixing the Flink job it recovers', async () => {
    const { store, queue, deployments, id } = await running();
    const { operation } = await deployments.transition(id, 'recover', operator);
    expect(operation).toMatchObject({
      kind: 'recover',
      target: `deployment:${id}`,
      request: { deployment: id },
      progress: { previousDesired: 'running', vanishedJobId: 'j1' },
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      flinkJobId: 'j1',
      pendingOperationId: operation.id,
    });
    expect(queue.queued).toContain(operation.id);
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({
      actor: 'key:test-operator',
      action: 'deployment.recover',
      outcome: 'accepted',
    });
  });

  it('recover needs a Flink job to recover', async () => {
    const { store, deployments, id } = await running();
    await store.deployments.update(id, { flinkJobId: null });
    await expect(deployments.transition(id, 'recover', operator)).rejects.toMatchObject({
      code: ERRORS.illegalTransition.code,
      message: `Cannot recover deployment:${id}: it is running`,
      detail: [{ loc: ['state'], msg: 'it never had a Flink job' }],
    });
    expect(await store.deployments.get(id)).toMatchObject({ pendingOperationId: null });
  });

  it('cancel from running or paused', async () => {
    const { store, deployments, id, finished } = await running();
    await deployments.transition(id, 'pause', operator);
    await finished(id);
    const { operation } = await deployments.transition(id, 'cancel', operator);
    expect(operation.progress).toEqual({ previousDesired: 'paused' });
    expect(await store.deployments.get(id)).toMatchObject({ desiredState: 'cancelled' });
  });

  it('an unknown deployment is 404', async () => {
    const { deployments } = setUp();
    const id = '00000000-0000-4000-8000-000000000000';
    await expect(deployments.transition(id, 'pause', operator)).rejects.toMatchObject({
      status: 404,
      message: `deployment ${id} not found`,
    });
    await expect(deployments.get(id)).rejects.toMatchObject({ status: 404 });
  });
});

it('lists newest first, of one job, live only', async () => {
  const { deployments, finished } = setUp();
  const first = await deployments.deploy('stream', 1, operator);
  const id = depIdOf(first.operation.target);
  await finished(id);
  await deployments.transition(id, 'cancel', operator);
  await finished(id);
  const second = await deployments.deploy('stream', 2, operator);
  const all = await deployments.list({ job: 'stream' });
  expect(all.map((d) => d.version)).toEqual([2, 1]);
  expect((await deployments.list({ live: true })).map((d) => d.id)).toEqual([
    depIdOf(second.operation.target),
  ]);
  expect(await deployments.list({ job: 'other' })).toEqual([]);
});
