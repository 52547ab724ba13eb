import { Logger } from '@nestjs/common';
import { FlinkUnavailableError } from '@fstore/flink';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { DeploymentsService } from '../deployments/deployments.service';
import { InMemoryControlStore } from '../store/in-memory';
import { InMemoryCheckpoints } from '../store/in-memory-checkpoints';
import { InMemoryFlink } from '../store/in-memory-flink';
import { InMemoryOperationQueue } from '../store/in-memory-queue';
import { OperationExecutor, RunExecution } from './operation-executor';
import { OperationsService } from './operations.service';
import { TransientError } from './transient';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// How the worker carries a deployment's operation through (issue 22): the steps it records, what
// a retried attempt does not do twice, and where a failed operation leaves the deployment.
const operator: Principal = { actor: 'key:test-operator', role: 'operator', keyId: 'k1' };

/** Runs are not what these tests are about: any run operation is a mistake here. */
const noRuns: RunExecution = {
  execute: () => Promise.reject(new Error('no run expected')),
  backfill: () => Promise.reject(new Error('no run expected')),
  fail: () => Promise.reject(new Error('no run expected')),
};

function setUp() {
  const store = new InMemoryControlStore();
  const flink = new InMemoryFlink();
  const checkpoints = new InMemoryCheckpoints();
  const audit = new AuditService(store.audit);
  const operations = new OperationsService(
    store.transactions,
    store.operations,
    audit,
    new InMemoryOperationQueue(),
  );
  const deployments = new DeploymentsService(store.deployments, store.jobs, operations);
  const executor = new OperationExecutor(
    store.transactions,
    store.operations,
    store.deployments,
    store.jobs,
    flink,
    audit,
    noRuns,
    checkpoints,
  );
  store.jobs.add({ name: 'stream', kind: 'flink-sql', description: '', createdBy: 'key:t' }, [
    { source: 'flink-sql/transactions.sql', content: "INSERT INTO sink SELECT 'v1'" },
    { source: 'flink-sql/transactions.sql', content: "INSERT INTO sink SELECT 'v2'" },
  ]);
  return { store, flink, checkpoints, deployments, executor };
}

async function deployed() {
  const s = setUp();
  const { operation } = await s.deployments.deploy('stream', 1, operator);
  await s.executor.execute(operation.id, 1, 3);
  return { ...s, id: operation.target.replace('deployment:', ''), deploy: operation };
}

describe('deploy', () => {
  it('submits the version under the operation’s pipeline name; the deployment runs it', async () => {
    const { store, flink, id, deploy } = await deployed();
    expect([...flink.jobs.keys()]).toEqual(['job-1']);
    expect(flink.jobs.get('job-1')!.options).toMatchObject({
      jobName: `fstore/stream/${deploy.id}`,
      savepointPath: undefined,
    });
    expect(flink.jobs.get('job-1')!.script).toContain("SELECT 'v1'");
    expect(await store.deployments.get(id)).toMatchObject({
      flinkJobId: 'job-1',
      observedState: 'RUNNING',
      pendingOperationId: null,
      drift: null,
      restarts: 0,
    });
    expect(await store.operations.get(deploy.id)).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      result: { flink_job_id: 'job-1' },
      error: null,
      progress: { flinkJobId: 'job-1' },
    });
    expect((await store.audit.list({ target: deploy.target, limit: 1 }))[0]).toMatchObject({
      action: 'operation.deploy',
      outcome: 'succeeded',
      detail: { operation_id: deploy.id, flink_job_id: 'job-1' },
    });
  });

  it('a retried attempt finds the job it submitted and does not submit again', async () => {
    const { store, flink, deployments, executor } = setUp();
    const { operation } = await deployments.deploy('stream', 1, operator);
    flink.startFailure = new TransientError('the JobManager restarts');
    await expect(executor.execute(operation.id, 1, 3)).rejects.toThrow('the JobManager restarts');
    expect(await store.operations.get(operation.id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      error: 'the JobManager restarts',
      progress: { flinkJobId: 'job-1' },
    });
    await executor.execute(operation.id, 2, 3);
    expect([...flink.jobs.keys()]).toEqual(['job-1']);
    expect(await store.operations.get(operation.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      error: null,
    });
  });

  it('failing for good: the job it submitted is cancelled, the deployment cancelled with the cause', async () => {
    const { store, flink, deployments, executor } = setUp();
    const { operation } = await deployments.deploy('stream', 1, operator);
    const id = operation.target.replace('deployment:', '');
    flink.startFailure = new FlinkUnavailableError('jobmanager', 'unreachable');
    await executor.execute(operation.id, 3, 3); // the last attempt: no throw, recorded
    expect(flink.jobs.get('job-1')!.state).toBe('CANCELED');
    expect(await store.operations.get(operation.id)).toMatchObject({
      status: 'failed',
      error: 'jobmanager: unreachable',
    });
    const dep = await store.deployments.get(id);
    expect(dep).toMatchObject({
      desiredState: 'cancelled',
      pendingOperationId: null,
      drift: 'deploy failed: jobmanager: unreachable',
    });
    expect(dep!.driftAt).toBeInstanceOf(Date);
    expect((await store.audit.list({ target: operation.target, limit: 1 }))[0]).toMatchObject({
      action: 'operation.deploy',
      outcome: 'failed',
      detail: { operation_id: operation.id, error: 'jobmanager: unreachable' },
    });
  });

  it('an operation already finished is not run again', async () => {
    const { store, flink, executor, deploy } = await deployed();
    await executor.execute(deploy.id, 1, 3);
    expect(flink.jobs.size).toBe(1);
    expect(await store.operations.get(deploy.id)).toMatchObject({ attempts: 1 });
  });
});

describe('pause, resume, upgrade, cancel', () => {
  it('pause stops with a savepoint; resume starts from it', async () => {
    const { store, flink, deployments, executor, id } = await deployed();
    const pause = await deployments.transition(id, 'pause', operator);
    await executor.execute(pause.operation.id, 1, 3);
    expect(flink.jobs.get('job-1')!.state).toBe('FINISHED');
    expect(await store.operations.get(pause.operation.id)).toMatchObject({
      status: 'succeeded',
      result: { savepoint: 'file:/savepoints/job-1' },
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'paused',
      observedState: 'FINISHED',
      lastSavepoint: 'file:/savepoints/job-1',
      pendingOperationId: null,
    });

    const resume = await deployments.transition(id, 'resume', operator);
    await executor.execute(resume.operation.id, 1, 3);
    expect(flink.jobs.get('job-2')!.options).toMatchObject({
      jobName: `fstore/stream/${resume.operation.id}`,
      savepointPath: 'file:/savepoints/job-1',
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      observedState: 'RUNNING',
      flinkJobId: 'job-2',
      pendingOperationId: null,
    });
  });

  it('upgrade stops with a savepoint and starts the new version from it', async () => {
    const { store, flink, deployments, executor, id } = await deployed();
    const upgrade = await deployments.transition(id, 'upgrade', operator, undefined, 2);
    await executor.execute(upgrade.operation.id, 1, 3);
    expect(flink.jobs.get('job-2')!.script).toContain("SELECT 'v2'");
    expect(await store.operations.get(upgrade.operation.id)).toMatchObject({
      result: {
        flink_job_id: 'job-2',
        from_savepoint: 'file:/savepoints/job-1',
        version: 2,
        previous_version: 1,
      },
    });
    expect(await store.deployments.get(id)).toMatchObject({
      version: 2,
      flinkJobId: 'job-2',
      lastSavepoint: 'file:/savepoints/job-1',
      pendingOperationId: null,
    });
  });

  it('a pause that cannot take a savepoint fails; the deployment is to run again', async () => {
    const { store, flink, deployments, executor, id } = await deployed();
    flink.jobs.get('job-1')!.state = 'FAILED';
    const pause = await deployments.transition(id, 'pause', operator);
    await executor.execute(pause.operation.id, 1, 3);
    expect(await store.operations.get(pause.operation.id)).toMatchObject({
      status: 'failed',
      error: 'Flink job job-1 is FAILED: no savepoint',
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      pendingOperationId: null,
      drift: 'pause failed: Flink job job-1 is FAILED: no savepoint',
    });
    // The job was not this operation's: it is left as it is.
    expect(flink.jobs.get('job-1')!.state).toBe('FAILED');
  });

  it('cancel cancels the running job', async () => {
    const { store, flink, deployments, executor, id } = await deployed();
    const cancel = await deployments.transition(id, 'cancel', operator);
    await executor.execute(cancel.operation.id, 1, 3);
    expect(flink.jobs.get('job-1')!.state).toBe('CANCELED');
    expect(await store.operations.get(cancel.operation.id)).toMatchObject({
      status: 'succeeded',
      result: { observed_state: 'CANCELED' },
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'cancelled',
      observedState: 'CANCELED',
      pendingOperationId: null,
    });
  });
});
