import { Inject, Injectable, Logger } from '@nestjs/common';
import { annotateSpan } from '@fstore/observability';
import { AuditService } from '../audit/audit.service';
import { DeploymentEntity, DesiredState, JsonObject, OperationEntity } from '@fstore/control-store';
import { DeploymentChanges, DeploymentsRepository } from '../deployments/deployments.repository';
import { pipelineName, withoutPipelineName } from '../deployments/job-script';
import { CheckpointsRepository, RetainedState } from '../flink/checkpoints.repository';
import { FlinkRepository } from '../flink/flink.repository';
import { JobsRepository } from '../jobs/jobs.repository';
import { placeholderValues } from '../jobs/placeholders';
import { RunsExecutor } from '../runs/runs.executor';
import { Transaction, Transactions } from '../store/transactions';
import { OperationsRepository } from './operations.repository';
import { isTransient, OperationFailed } from './transient';
import { TERMINAL_STATES } from '@fstore/flink';
import {
  CHECKPOINTS,
  DEPLOYMENTS_REPOSITORY,
  FLINK,
  JOBS_REPOSITORY,
  OPERATIONS_REPOSITORY,
  TRANSACTIONS,
} from '../tokens';

type Progress = {
  previousDesired?: DesiredState;
  flinkJobId?: string;
  savepoint?: string;
  /** recover: the Flink job that vanished, and the state chosen to restore it from. */
  vanishedJobId?: string;
  restoreFrom?: string;
  restoreKind?: RetainedState['kind'];
};

/** What the executor asks Flink (FlinkRepository; an in-memory one in unit tests). */
export type FlinkControl = Pick<
  FlinkRepository,
  | 'submit'
  | 'findLiveJob'
  | 'waitUntilRunning'
  | 'stopWithSavepoint'
  | 'latestSavepoint'
  | 'cancel'
  | 'status'
>;

/** What the executor hands batch runs to (RunsExecutor). */
export type RunExecution = Pick<RunsExecutor, 'execute' | 'backfill' | 'fail'>;

/**
 * Executes one operation, step by step, recording each step in PostgreSQL so that a retried or
 * resumed operation (a worker killed mid-way) skips what is done and never does it twice: a job
 * is submitted under a pipeline name unique to the operation and looked for before submitting
 * again; a savepoint taken is recorded before the next step.
 */
@Injectable()
export class OperationExecutor {
  private readonly logger = new Logger('worker');

  constructor(
    @Inject(TRANSACTIONS) private readonly transactions: Transactions,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(DEPLOYMENTS_REPOSITORY) private readonly deployments: DeploymentsRepository,
    @Inject(JOBS_REPOSITORY) private readonly jobs: JobsRepository,
    @Inject(FLINK) private readonly flink: FlinkControl,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(RunsExecutor) private readonly runs: RunExecution,
    @Inject(CHECKPOINTS) private readonly checkpoints: CheckpointsRepository,
  ) {}

  /**
   * Runs the operation. Throws (so that the queue retries with backoff) only on a transient
   * failure with attempts left; any other failure is recorded as the operation's outcome.
   */
  async execute(id: string, attempt: number, maxAttempts: number): Promise<void> {
    const op = await this.operations.get(id);
    if (!op || op.status === 'succeeded' || op.status === 'failed') return;
    await this.operations.markRunning(id);
    annotateSpan({ 'fstore.operation.kind': op.kind, 'fstore.operation.target': op.target });
    this.logger.log({ msg: 'operation started', id, kind: op.kind, target: op.target, attempt });
    try {
      const succeed = (tx: Transaction, result: JsonObject) => this.succeed(tx, op, result);
      if (op.kind === 'run') await this.runs.execute(op, succeed);
      else if (op.kind === 'backfill') await this.runs.backfill(op, succeed);
      else await this.deployment(op);
      this.logger.log({ msg: 'operation succeeded', id, kind: op.kind });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (isTransient(e) && attempt < maxAttempts) {
        this.logger.warn({ msg: 'operation will be retried', id, attempt, error: message });
        await this.operations.requeue(id, message);
        throw e;
      }
      this.logger.warn({ msg: 'operation failed', id, kind: op.kind, error: message });
      await this.abandonSubmittedJob(op);
      await this.fail(op, message);
    }
  }

  private async deployment(op: OperationEntity): Promise<void> {
    const depId = op.target.replace(/^deployment:/, '');
    const dep = await this.deployments.getOrFail(depId);
    const progress = op.progress as Progress;
    switch (op.kind) {
      case 'deploy': {
        const jobId = await this.submit(op, dep, dep.version);
        await this.finish(
          op,
          dep,
          { flink_job_id: jobId },
          {
            flinkJobId: jobId,
            startedFrom: null,
            observedState: 'RUNNING',
            restarts: 0,
            drift: null,
          },
        );
        return;
      }
      case 'pause': {
        const savepoint = progress.savepoint ?? (await this.stop(op, dep));
        await this.finish(
          op,
          dep,
          { savepoint },
          {
            lastSavepoint: savepoint,
            observedState: 'FINISHED',
          },
        );
        return;
      }
      case 'resume': {
        const savepoint = dep.lastSavepoint!;
        const jobId = await this.submit(op, dep, dep.version, savepoint);
        await this.finish(
          op,
          dep,
          { flink_job_id: jobId, from_savepoint: savepoint },
          {
            flinkJobId: jobId,
            startedFrom: savepoint,
            observedState: 'RUNNING',
            restarts: 0,
            drift: null,
          },
        );
        return;
      }
      case 'upgrade': {
        const version = Number(op.request.version);
        const savepoint = progress.savepoint ?? (await this.stop(op, dep));
        const jobId = await this.submit(op, dep, version, savepoint);
        await this.finish(
          op,
          dep,
          {
            flink_job_id: jobId,
            from_savepoint: savepoint,
            version,
            previous_version: dep.version,
          },
          {
            flinkJobId: jobId,
            startedFrom: savepoint,
            version,
            observedState: 'RUNNING',
            restarts: 0,
            drift: null,
          },
        );
        return;
      }
      case 'recover': {
        const vanished = progress.vanishedJobId ?? dep.flinkJobId;
        if (!vanished) throw new OperationFailed('the deployment has no Flink job to recover');
        const from = progress.restoreFrom
          ? { path: progress.restoreFrom, kind: progress.restoreKind ?? 'checkpoint' }
          : await this.restorable(op, dep, vanished);
        const jobId = await this.submit(op, dep, dep.version, from.path);
        await this.finish(
          op,
          dep,
          {
            flink_job_id: jobId,
            previous_flink_job_id: vanished,
            restored_from: from.path,
            restored_kind: from.kind,
          },
          {
            flinkJobId: jobId,
            startedFrom: from.path,
            observedState: 'RUNNING',
            restarts: 0,
            drift: null,
          },
        );
        return;
      }
      case 'cancel': {
        let state = dep.observedState;
        if (dep.flinkJobId) {
          const status = await this.flink.status(dep.flinkJobId);
          if (status && !['CANCELED', 'FINISHED', 'FAILED'].includes(status.state)) {
            await this.flink.cancel(dep.flinkJobId);
            state = 'CANCELED';
          } else state = status?.state ?? 'VANISHED';
        }
        await this.finish(op, dep, { observed_state: state }, { observedState: state });
        return;
      }
      default:
        throw new OperationFailed(`unknown operation kind ${op.kind}`);
    }
  }

  /** Submits the version (once per operation) and waits until every task runs. */
  private async submit(
    op: OperationEntity,
    dep: DeploymentEntity,
    versionNumber: number,
    savepoint?: string,
  ): Promise<string> {
    const name = pipelineName(dep.jobName, op.id);
    const progress = op.progress as Progress;
    let jobId = progress.flinkJobId ?? (await this.flink.findLiveJob(name));
    if (!jobId) {
      const version = await this.jobs.versionOrFail(dep.jobName, versionNumber);
      try {
        jobId = await this.flink.submit(withoutPipelineName(version.content), {
          values: placeholderValues(dep.jobName, version.source, version.parameters),
          jobName: name,
          savepointPath: savepoint,
        });
      } catch (e) {
        if (isTransient(e)) throw e;
        throw new OperationFailed(`Flink refused the job: ${(e as Error).message}`);
      }
      this.logger.log({ msg: 'job submitted', id: op.id, flink_job_id: jobId, name });
    }
    await this.step(op, { flinkJobId: jobId }, dep.id, {
      flinkJobId: jobId,
      observedState: 'CREATED',
      observedAt: new Date(),
    });
    try {
      await this.flink.waitUntilRunning(jobId);
    } catch (e) {
      if (isTransient(e)) throw e;
      throw new OperationFailed(`job ${jobId} did not start: ${(e as Error).message}`);
    }
    return jobId;
  }

  /**
   * What a vanished job restarts from: the newest of its last job's newest complete retained
   * checkpoint, the deployment's last savepoint and the state that job was started from (a job
   * that vanished before its first checkpoint holds no more than that), by the time their
   * _metadata was written.
   * Never nothing: a job started from empty state would silently lose its aggregations and
   * dedupe state, so without either the operation fails and a human decides. Recorded before
   * the job is submitted, so that a resumed operation submits from the same state.
   */
  private async restorable(
    op: OperationEntity,
    dep: DeploymentEntity,
    vanished: string,
  ): Promise<Pick<RetainedState, 'path' | 'kind'>> {
    const status = await this.flink.status(vanished);
    if (status && !TERMINAL_STATES.includes(status.state)) {
      throw new OperationFailed(
        `Flink still knows job ${vanished} (${status.state}): there is nothing to recover`,
      );
    }
    const candidates = [
      await this.checkpoints.latestCheckpoint(vanished),
      dep.lastSavepoint
        ? await this.checkpoints.retained(dep.lastSavepoint, 'savepoint')
        : undefined,
      dep.startedFrom
        ? await this.checkpoints.retained(dep.startedFrom, kindOf(dep.startedFrom))
        : undefined,
    ].filter((s): s is RetainedState => s !== undefined);
    const newest = candidates.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime())[0];
    if (!newest) {
      throw new OperationFailed(
        `no complete retained checkpoint of Flink job ${vanished} in ` +
          `${this.checkpoints.checkpointsOf(vanished)} and ` +
          (dep.lastSavepoint ? `the savepoint ${dep.lastSavepoint} is gone` : 'no savepoint') +
          ': not starting from empty state, which would lose the aggregation and dedupe state ' +
          '(cancel and deploy again to start afresh)',
      );
    }
    op.progress = {
      ...op.progress,
      vanishedJobId: vanished,
      restoreFrom: newest.path,
      restoreKind: newest.kind,
    };
    await this.transactions.run((tx) => this.operations.saveProgress(op.id, op.progress, tx));
    return newest;
  }

  /** Stops the deployment's job with a savepoint (or finds the one a previous attempt took). */
  private async stop(op: OperationEntity, dep: DeploymentEntity): Promise<string> {
    const jobId = dep.flinkJobId;
    if (!jobId) throw new OperationFailed('the deployment has no Flink job');
    const status = await this.flink.status(jobId);
    if (!status) throw new OperationFailed(`Flink job ${jobId} vanished`);
    let savepoint: string | undefined;
    if (status.state === 'RUNNING') {
      try {
        savepoint = await this.flink.stopWithSavepoint(jobId);
      } catch (e) {
        if (isTransient(e)) throw e;
        throw new OperationFailed(`stop with savepoint failed: ${(e as Error).message}`);
      }
    } else if (status.state === 'FINISHED') {
      // Stopped by an earlier attempt of this operation, which died before recording it.
      savepoint = await this.flink.latestSavepoint(jobId);
    }
    if (!savepoint)
      throw new OperationFailed(`Flink job ${jobId} is ${status.state}: no savepoint`);
    await this.step(op, { savepoint }, dep.id, {
      lastSavepoint: savepoint,
      observedState: 'FINISHED',
      observedAt: new Date(),
    });
    return savepoint;
  }

  /** Records a step: the operation's progress and the deployment, in one transaction. */
  private async step(
    op: OperationEntity,
    progress: Progress,
    depId: string,
    dep: DeploymentChanges,
  ): Promise<void> {
    op.progress = { ...op.progress, ...progress };
    await this.transactions.run(async (tx) => {
      await this.operations.saveProgress(op.id, op.progress, tx);
      await this.deployments.update(depId, dep, tx);
    });
  }

  private async finish(
    op: OperationEntity,
    dep: DeploymentEntity,
    result: Record<string, unknown>,
    changes: DeploymentChanges,
  ): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.deployments.update(
        dep.id,
        { ...changes, observedAt: new Date(), pendingOperationId: null },
        tx,
      );
      await this.succeed(tx, op, result);
    });
  }

  private async succeed(tx: Transaction, op: OperationEntity, result: JsonObject): Promise<void> {
    await this.operations.succeed(op.id, result, tx);
    await this.audit.record(
      {
        actor: op.actor,
        action: `operation.${op.kind}`,
        target: op.target,
        outcome: 'succeeded',
        detail: { operation_id: op.id, ...result },
      },
      tx,
    );
  }

  /** A job this operation submitted but could not bring up must not run unmanaged. */
  private async abandonSubmittedJob(op: OperationEntity): Promise<void> {
    const fresh = await this.operations.get(op.id);
    const jobId = (fresh?.progress as Progress | undefined)?.flinkJobId;
    if (!jobId || !['deploy', 'resume', 'upgrade', 'recover'].includes(op.kind)) return;
    await this.flink.cancel(jobId).catch((e: Error) =>
      this.logger.warn({
        msg: 'could not cancel the job of a failed operation',
        jobId,
        error: e.message,
      }),
    );
  }

  /** Records the failure; the deployment goes back to the desired state it had before. */
  private async fail(op: OperationEntity, error: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      if (op.target.startsWith('deployment:')) {
        const depId = op.target.replace(/^deployment:/, '');
        const previous = (op.progress as Progress).previousDesired;
        const desired: DesiredState = op.kind === 'deploy' ? 'cancelled' : (previous ?? 'running');
        await this.deployments.update(
          depId,
          {
            desiredState: desired,
            pendingOperationId: null,
            drift: `${op.kind} failed: ${error}`,
            driftAt: new Date(),
          },
          tx,
        );
      } else {
        await this.runs.fail(tx, op, error);
      }
      await this.operations.fail(op.id, error, tx);
      await this.audit.record(
        {
          actor: op.actor,
          action: `operation.${op.kind}`,
          target: op.target,
          outcome: 'failed',
          detail: { operation_id: op.id, error },
        },
        tx,
      );
    });
  }
}

/** Flink names a retained checkpoint's folder `chk-<n>`; anything else here is a savepoint. */
function kindOf(location: string): RetainedState['kind'] {
  return /\/chk-\d+\/?$/.test(location) ? 'checkpoint' : 'savepoint';
}
