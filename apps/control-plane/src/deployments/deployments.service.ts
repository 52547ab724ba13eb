import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Not, Repository } from 'typeorm';
import { Principal } from '../auth/api-keys.service';
import { DeploymentEntity, JobEntity, JobVersionEntity } from '@fstore/control-store';
import { InvalidField } from '@fstore/rest-api';
import {
  Conflict,
  IllegalTransition,
  NotFound,
  OperationInProgress,
} from '../errors/domain-errors';
import { Accepted, OperationsService } from '../operations/operations.service';

type Action = 'pause' | 'resume' | 'cancel' | 'upgrade';

/**
 * The deployment state machine, on the desired state (what the API asked for). An accepted
 * action changes the desired state and hands the deployment to one operation; only the worker
 * changes what is observed.
 *
 *   deploy → running ──pause──► paused ──resume──► running
 *            running ──upgrade(v)──► running (v)      any ──cancel──► cancelled
 */
const ALLOWED: Record<Action, { from: string[]; why: string }> = {
  pause: { from: ['running'], why: 'only a running deployment can be paused' },
  resume: { from: ['paused'], why: 'only a paused deployment can be resumed' },
  cancel: { from: ['running', 'paused'], why: 'the deployment is already cancelled' },
  upgrade: { from: ['running'], why: 'only a running deployment can be upgraded' },
};

@Injectable()
export class DeploymentsService {
  constructor(
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
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
        const live = await tx.getRepository(DeploymentEntity).findOne({
          where: { jobName, desiredState: Not('cancelled') },
          lock: { mode: 'pessimistic_write' },
        });
        if (live) {
          throw Conflict(
            `job ${jobName} already has a live deployment (${live.id}, ${live.desiredState}); ` +
              'upgrade or cancel it',
            [{ loc: ['deployment_id'], msg: live.id, type: 'state_error.live_deployment' }],
          );
        }
        const row = await tx.getRepository(DeploymentEntity).save({
          jobName,
          version,
          desiredState: 'running',
          observedState: 'NONE',
          observedAt: null,
          flinkJobId: null,
          lastSavepoint: null,
          restarts: 0,
          drift: null,
          driftAt: null,
          pendingOperationId: operationId,
        });
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
        const dep = await tx
          .getRepository(DeploymentEntity)
          .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
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
        await tx
          .getRepository(DeploymentEntity)
          .update({ id }, { desiredState: desired, pendingOperationId: operationId });
        // If the operation fails for good, the desired state goes back to this one.
        return { target, progress: { previousDesired: dep.desiredState } };
      },
    );
  }

  private async streamingVersion(tx: EntityManager, jobName: string, version: number) {
    const job = await tx.getRepository(JobEntity).findOneBy({ name: jobName });
    if (!job) throw NotFound('job', jobName);
    if (job.kind !== 'flink-sql') {
      throw InvalidField(['path', 'name'], `job ${jobName} is a batch job: trigger a run instead`);
    }
    const v = await tx.getRepository(JobVersionEntity).existsBy({ jobName, version });
    if (!v) throw InvalidField(['body', 'version'], `job ${jobName} has no version ${version}`);
  }

  list(filter: { job?: string; live?: boolean }): Promise<DeploymentEntity[]> {
    const where: Record<string, unknown> = {};
    if (filter.job) where.jobName = filter.job;
    if (filter.live) where.desiredState = Not('cancelled');
    return this.deployments.find({ where, order: { createdAt: 'DESC' }, take: 200 });
  }

  async get(id: string): Promise<DeploymentEntity> {
    const dep = await this.deployments.findOneBy({ id });
    if (!dep) throw NotFound('deployment', id);
    return dep;
  }
}
