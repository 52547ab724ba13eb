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

describe('recover (a job Flink no longer knows)', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

  /** A deployed job (job-1) that Flink forgot, as after a JobManager restart without HA. */
  async function vanished(lastSavepoint: string | null = null) {
    const s = await deployed();
    s.flink.jobs.delete('job-1');
    await s.store.deployments.update(s.id, { lastSavepoint, observedState: 'VANISHED' });
    const recover = async () => {
      const { operation } = await s.deployments.transition(s.id, 'recover', operator);
      return operation;
    };
    return { ...s, recover };
  }

  it('resubmits the same version from the newest complete checkpoint of the vanished job', async () => {
    const { store, flink, checkpoints, executor, id, recover } = await vanished();
    checkpoints.addCheckpoint('job-1', 2, at(2));
    checkpoints.addCheckpoint('job-1', 11, at(11));
    checkpoints.addCheckpoint('other-job', 12, at(12));
    const op = await recover();
    await executor.execute(op.id, 1, 3);
    expect(flink.jobs.get('job-2')!.options).toMatchObject({
      jobName: `fstore/stream/${op.id}`,
      savepointPath: 'file:///checkpoints/job-1/chk-11',
    });
    expect(flink.jobs.get('job-2')!.script).toContain("SELECT 'v1'");
    expect(await store.operations.get(op.id)).toMatchObject({
      status: 'succeeded',
      result: {
        flink_job_id: 'job-2',
        previous_flink_job_id: 'job-1',
        restored_from: 'file:///checkpoints/job-1/chk-11',
        restored_kind: 'checkpoint',
      },
      progress: {
        vanishedJobId: 'job-1',
        restoreFrom: 'file:///checkpoints/job-1/chk-11',
        restoreKind: 'checkpoint',
        flinkJobId: 'job-2',
      },
    });
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      observedState: 'RUNNING',
      version: 1,
      flinkJobId: 'job-2',
      drift: null,
      restarts: 0,
      pendingOperationId: null,
    });
    expect((await store.audit.list({ target: op.target, limit: 1 }))[0]).toMatchObject({
      action: 'operation.recover',
      outcome: 'succeeded',
      detail: { operation_id: op.id, restored_from: 'file:///checkpoints/job-1/chk-11' },
    });
  });

  it.each([
    ['the savepoint, newer than the last checkpoint', at(30), 'file:/savepoints/sp-a', 'savepoint'],
    [
      'the checkpoint, newer than the savepoint',
      at(5),
      'file:///checkpoints/job-1/chk-3',
      'checkpoint',
    ],
  ] as const)('restores from %s', async (_, savepointAt, expected, kind) => {
    const { store, flink, checkpoints, executor, recover } =
      await vanished('file:/savepoints/sp-a');
    checkpoints.addCheckpoint('job-1', 3, at(20));
    checkpoints.savepoints.set('file:/savepoints/sp-a', savepointAt);
    const op = await recover();
    await executor.execute(op.id, 1, 3);
    expect(flink.jobs.get('job-2')!.options!.savepointPath).toBe(expected);
    expect(await store.operations.get(op.id)).toMatchObject({
      status: 'succeeded',
      result: { restored_from: expected, restored_kind: kind },
    });
  });

  it('a last savepoint no longer on disk is not a state to restore: the checkpoint is', async () => {
    const { flink, checkpoints, executor, recover } = await vanished('file:/savepoints/gone');
    checkpoints.addCheckpoint('job-1', 1, at(1));
    const op = await recover();
    await executor.execute(op.id, 1, 3);
    expect(flink.jobs.get('job-2')!.options!.savepointPath).toBe('file:///checkpoints/job-1/chk-1');
  });

  it('a recovered job that vanishes before its first checkpoint restarts from the state it started from', async () => {
    const { store, flink, checkpoints, executor, id, recover } = await vanished();
    checkpoints.addCheckpoint('job-1', 7, at(7));
    await executor.execute((await recover()).id, 1, 3);
    expect(await store.deployments.get(id)).toMatchObject({
      flinkJobId: 'job-2',
      startedFrom: 'file:///checkpoints/job-1/chk-7',
    });
    // job-2 vanishes too, before it completed a checkpoint of its own.
    flink.jobs.delete('job-2');
    const again = await recover();
    await executor.execute(again.id, 1, 3);
    expect(flink.jobs.get('job-3')!.options!.savepointPath).toBe('file:///checkpoints/job-1/chk-7');
    expect(await store.operations.get(again.id)).toMatchObject({
      status: 'succeeded',
      result: {
        previous_flink_job_id: 'job-2',
        restored_from: 'file:///checkpoints/job-1/chk-7',
        restored_kind: 'checkpoint',
      },
    });
    // Once job-3 has a checkpoint of its own, that is newer and wins.
    checkpoints.addCheckpoint('job-3', 1, at(40));
    flink.jobs.delete('job-3');
    const third = await recover();
    await executor.execute(third.id, 1, 3);
    expect(flink.jobs.get('job-4')!.options!.savepointPath).toBe('file:///checkpoints/job-3/chk-1');
  });

  it('resume and upgrade record the savepoint the new job started from; deploy records none', async () => {
    const { store, executor, deployments, id } = await deployed();
    expect((await store.deployments.get(id))!.startedFrom).toBeNull();
    await executor.execute(
      (await deployments.transition(id, 'pause', operator)).operation.id,
      1,
      3,
    );
    const paused = await store.deployments.get(id);
    await executor.execute(
      (await deployments.transition(id, 'resume', operator)).operation.id,
      1,
      3,
    );
    expect((await store.deployments.get(id))!.startedFrom).toBe(paused!.lastSavepoint);
    const upgrade = await deployments.transition(id, 'upgrade', operator, undefined, 2);
    await executor.execute(upgrade.operation.id, 1, 3);
    const upgraded = await store.deployments.get(id);
    expect(upgraded!.startedFrom).toBe(upgraded!.lastSavepoint);
    expect(upgraded!.startedFrom).not.toBe(paused!.lastSavepoint);
  });

  it('with no checkpoint and no savepoint: fails, never starts from empty state; the drift says why', async () => {
    const { store, flink, executor, id, recover } = await vanished();
    const op = await recover();
    await executor.execute(op.id, 1, 3);
    const error =
      'no complete retained checkpoint of Flink job job-1 in /checkpoints/job-1 and no savepoint: ' +
      'not starting from empty state, which would lose the aggregation and dedupe state ' +
      '(cancel and deploy again to start afresh)';
    expect(await store.operations.get(op.id)).toMatchObject({ status: 'failed', error });
    expect([...flink.jobs.keys()]).toEqual([]);
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      flinkJobId: 'job-1',
      pendingOperationId: null,
      drift: `recover failed: ${error}`,
    });
    expect((await store.audit.list({ target: op.target, limit: 1 }))[0]).toMatchObject({
      action: 'operation.recover',
      outcome: 'failed',
    });
  });

  it('names a savepoint that is gone when there is no checkpoint either', async () => {
    const { store, executor, recover } = await vanished('file:/savepoints/gone');
    const op = await recover();
    await executor.execute(op.id, 1, 3);
    expect((await store.operations.get(op.id))!.error).toContain(
      'in /checkpoints/job-1 and the savepoint file:/savepoints/gone is gone: not starting',
    );
  });

  it('refuses a job Flink still runs: nothing is submitted', async () => {
    const { store, flink, checkpoints, executor, recover } = await deployed().then(async (s) => ({
      ...s,
      recover: async () => (await s.deployments.transition(s.id, 'recover', operator)).operation,
    }));
    checkpoints.addCheckpoint('job-1', 1, at(1));
    const op = await recover();
    await executor.execute(op.id, 1, 3);
    expect(await store.operations.get(op.id)).toMatchObject({
      status: 'failed',
      error: 'Flink still knows job job-1 (RUNNING): there is nothing to recover',
    });
    expect([...flink.jobs.keys()]).toEqual(['job-1']);
    expect(flink.jobs.get('job-1')!.state).toBe('RUNNING');
  });

  it('a retried attempt submits once, from the state the first attempt chose', async () => {
    const { store, flink, checkpoints, executor, recover } = await vanished();
    checkpoints.addCheckpoint('job-1', 4, at(4));
    const op = await recover();
    flink.startFailure = new TransientError('the JobManager restarts');
    await expect(executor.execute(op.id, 1, 3)).rejects.toThrow('the JobManager restarts');
    // A newer checkpoint of the old job appears (it cannot; but the choice must not move).
    checkpoints.addCheckpoint('job-1', 5, at(5));
    await executor.execute(op.id, 2, 3);
    expect([...flink.jobs.keys()]).toEqual(['job-2']);
    expect(await store.operations.get(op.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      result: { flink_job_id: 'job-2', restored_from: 'file:///checkpoints/job-1/chk-4' },
    });
  });

  it('failing for good after submitting: the new job is cancelled, the deployment still to run', async () => {
    const { store, flink, checkpoints, executor, id, recover } = await vanished();
    checkpoints.addCheckpoint('job-1', 1, at(1));
    const op = await recover();
    flink.startFailure = new Error('a task failed to start');
    await executor.execute(op.id, 1, 3);
    expect(flink.jobs.get('job-2')!.state).toBe('CANCELED');
    expect(await store.deployments.get(id)).toMatchObject({
      desiredState: 'running',
      pendingOperationId: null,
      drift: 'recover failed: job job-2 did not start: a task failed to start',
    });
  });
});
