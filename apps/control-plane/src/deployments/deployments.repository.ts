import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { DeploymentEntity } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';

/** A deployment as created: what the database fills in (id, timestamps) left out. */
export type NewDeployment = Omit<DeploymentEntity, 'id' | 'createdAt' | 'updatedAt'>;

/** A deployment as `deploy` starts it: `version` of the job to run, nothing observed yet. */
export function startingDeployment(
  jobName: string,
  version: number,
  pendingOperationId: string | null,
): NewDeployment {
  return {
    jobName,
    version,
    desiredState: 'running',
    observedState: 'NONE',
    observedAt: null,
    flinkJobId: null,
    lastSavepoint: null,
    startedFrom: null,
    restarts: 0,
    drift: null,
    driftAt: null,
    pendingOperationId,
  };
}

/** The columns an update may change. */
export type DeploymentChanges = Partial<Omit<DeploymentEntity, 'id' | 'createdAt' | 'updatedAt'>>;

/**
 * The deployments table (desired and observed state): every statement on it. The state machine
 * and the drift rules are the services'.
 */
export interface DeploymentsRepository {
  get(id: string): Promise<DeploymentEntity | null>;
  /** The deployment; throws (TypeORM's EntityNotFoundError) when there is none. */
  getOrFail(id: string): Promise<DeploymentEntity>;
  /** The deployment, locked (FOR UPDATE) until the transaction ends. */
  getLocked(id: string, tx: Transaction): Promise<DeploymentEntity | null>;
  /** The job's deployment that is not cancelled (live). */
  liveOfJob(jobName: string): Promise<DeploymentEntity | null>;
  /** The job's deployment that is not cancelled, locked (FOR UPDATE) until the transaction ends. */
  liveOfJobLocked(jobName: string, tx: Transaction): Promise<DeploymentEntity | null>;
  /** Inserts it; a second live deployment of the job is a unique violation. */
  insert(deployment: NewDeployment, tx: Transaction): Promise<DeploymentEntity>;
  update(id: string, changes: DeploymentChanges, tx?: Transaction): Promise<void>;
  /** Updates it only if no operation owns it (pending_operation_id IS NULL). */
  updateIfNoOperation(id: string, changes: DeploymentChanges): Promise<void>;
  /** Newest first, at most 200: of one job, and/or only those not cancelled (live). */
  list(filter: { job?: string; live?: boolean }): Promise<DeploymentEntity[]>;
  /** What the reconciler observes: not cancelled, owned by no operation, with a Flink job. */
  toObserve(): Promise<DeploymentEntity[]>;
}

@Injectable()
export class TypeOrmDeploymentsRepository implements DeploymentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private rows(tx?: Transaction) {
    return managerOf(this.db, tx).getRepository(DeploymentEntity);
  }

  get(id: string): Promise<DeploymentEntity | null> {
    return this.rows().findOneBy({ id });
  }

  getOrFail(id: string): Promise<DeploymentEntity> {
    return this.rows().findOneByOrFail({ id });
  }

  getLocked(id: string, tx: Transaction): Promise<DeploymentEntity | null> {
    return this.rows(tx).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  liveOfJob(jobName: string): Promise<DeploymentEntity | null> {
    return this.rows().findOneBy({ jobName, desiredState: Not('cancelled') });
  }

  liveOfJobLocked(jobName: string, tx: Transaction): Promise<DeploymentEntity | null> {
    return this.rows(tx).findOne({
      where: { jobName, desiredState: Not('cancelled') },
      lock: { mode: 'pessimistic_write' },
    });
  }

  insert(deployment: NewDeployment, tx: Transaction): Promise<DeploymentEntity> {
    return this.rows(tx).save({ ...deployment });
  }

  async update(id: string, changes: DeploymentChanges, tx?: Transaction): Promise<void> {
    await this.rows(tx).update({ id }, changes);
  }

  async updateIfNoOperation(id: string, changes: DeploymentChanges): Promise<void> {
    await this.rows().update({ id, pendingOperationId: IsNull() }, changes);
  }

  list(filter: { job?: string; live?: boolean }): Promise<DeploymentEntity[]> {
    const where: Record<string, unknown> = {};
    if (filter.job) where.jobName = filter.job;
    if (filter.live) where.desiredState = Not('cancelled');
    return this.rows().find({ where, order: { createdAt: 'DESC' }, take: 200 });
  }

  toObserve(): Promise<DeploymentEntity[]> {
    return this.rows().find({
      where: [
        { pendingOperationId: IsNull(), desiredState: Not('cancelled'), flinkJobId: Not(IsNull()) },
      ],
    });
  }
}
