import { Inject, Injectable } from '@nestjs/common';
import { Principal } from '../auth/api-keys.service';
import { DeploymentEntity } from '@fstore/control-store';
import { InvalidField } from '@fstore/rest-api';
import {
  Conflict,
  IllegalTransition,
  NotFound,
  OperationInProgress,
} from '../errors/domain-errors';
import { JobsRepository } from '../jobs/jobs.repository';
import { Accepted, OperationsService } from '../operations/operations.service';
import { Transaction } from '../store/transactions';
import { DEPLOYMENTS_REPOSITORY, JOBS_REPOSITORY } from '../tokens';
import { DeploymentsRepository, startingDeployment } from './deployments.repository';

type Action = 'pause' | 'resume' | 'cancel' | 'upgrade' | 'recover';

/**
 * The deployment state machine, on the desired state (what the API asked for). An accepted
 * action changes the desired state and hands the deployment to one operation; only the worker
 * changes what is observed.
 *
 *   deploy → running ──pause──► paused ──resume──► running
 *            running ──upgrade(v)──► running (v)      any ──cancel──► cancelled
 *            running ──recover──► running (its vanished Flink job resubmitted from its newest
 *                                  retained checkpoint or savepoint; the worker checks Flink)
 */
const ALLOWED: Record<Action, { from: string[]; why: string }> = {
  pause: { from: ['running'], why: 'only a running deployment can be paused' },
  resume: { from: ['paused'], why: 'only a paused deployment can be resumed' },
  cancel: { from: ['running', 'paused'], why: 'the deployment is already cancelled' },
  upgrade: { from: ['running'], why: 'only a running deployment can be upgraded' },
  recover: { from: ['running'], why: 'only a deployment meant to run can be recovered' },
};

@Injectable()
export class DeploymentsService {
  constructor(
    @Inject(DEPLOYMENTS_REPOSITORY) private readonly deployments: DeploymentsRepository,
    @Inject(JOBS_REPOSITORY) private readonly jobs: JobsRepository,
    @Inject(OperationsService) private readonly operations: OperationsService,
  ) {}

  deploy(
    jobName: string,
    version: number,
    principal: Principal,
    idempotencyKey?: string,
  ): Promise<Accepted> {
    return this.operations.accept(
      {
        kind: 'deploy',
        action: 'deployment.deploy',
        request: { job: jobName, version },
        principal,
        idempotencyKey,
      },
      async (tx, operationId) => {
        await this.streamingVersion(tx, jobName, version);
        const live = await this.deployments.liveOfJobLocked(jobName, tx);
        if (live) {
          throw Conflict(
            `job ${jobName} already has a live deployment (${live.id}, ${live.desiredState}); ` +
              'upgrade or cancel it',
            [{ loc: ['deployment_id'], msg: live.id, type: 'state_error.live_deployment' }],
          );
        }
        const row = await this.deployments.insert(
          startingDeployment(jobName, version, operationId),
          tx,
        );
        return `deployment:${row.id}`;
      },
    );
  }

  transition(
    id: string,
    action: Action,
    principal: Principal,
    idempotencyKey?: string,
    version?: number,
  ): Promise<Accepted> {
    return this.operations.accept(
      {
        kind: action,
        action: `deployment.${action}`,
        request: version === undefined ? { deployment: id } : { deployment: id, version },
        principal,
        idempotencyKey,
      },
      async (tx, operationId) => {
        const dep = await this.deployments.getLocked(id, tx);
        if (!dep) throw NotFound('deployment', id);
        const target = `deployment:${id}`;
        if (dep.pendingOperationId) throw OperationInProgress(target, dep.pendingOperationId);
        const rule = ALLOWED[action];
        if (!rule.from.includes(dep.desiredState)) {
          throw IllegalTransition(action, target, dep.desiredState, rule.why);
        }
        if (action === 'resume' && !dep.lastSavepoint) {
          throw IllegalTransition(action, target, dep.desiredState, 'there is no savepoint');
        }
        if (action === 'recover' && !dep.flinkJobId) {
          throw IllegalTransition(action, target, dep.desiredState, 'it never had a Flink job');
        }
        if (action === 'upgrade') {
          if (version === dep.version) {
            throw InvalidField(
              ['body', 'version'],
              `the deployment already runs version ${version}`,
            );
          }
          await this.streamingVersion(tx, dep.jobName, version!);
        }
        const desired =
          action === 'pause' ? 'paused' : action === 'cancel' ? 'cancelled' : 'running';
        await this.deployments.update(
          id,
          { desiredState: desired, pendingOperationId: operationId },
          tx,
        );
        // If the operation fails for good, the desired state goes back to this one.
        const progress: Record<string, unknown> = { previousDesired: dep.desiredState };
        // The job to recover, fixed now: once the new one is submitted the deployment names it.
        if (action === 'recover') progress.vanishedJobId = dep.flinkJobId;
        return { target, progress };
      },
    );
  }

  private async streamingVersion(tx: Transaction, jobName: string, version: number) {
    const job = await this.jobs.job(jobName, tx);
    if (!job) throw NotFound('job', jobName);
    if (job.kind !== 'flink-sql') {
      throw InvalidField(['path', 'name'], `job ${jobName} is a batch job: trigger a run instead`);
    }
    const v = await this.jobs.hasVersion(jobName, version, tx);
    if (!v) throw InvalidField(['body', 'version'], `job ${jobName} has no version ${version}`);
  }

  list(filter: { job?: string; live?: boolean }): Promise<DeploymentEntity[]> {
    return this.deployments.list(filter);
  }

  async get(id: string): Promise<DeploymentEntity> {
    const dep = await this.deployments.get(id);
    if (!dep) throw NotFound('deployment', id);
    return dep;
  }
}
