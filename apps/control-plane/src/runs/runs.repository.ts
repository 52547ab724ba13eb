import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BatchRunEntity, JobVersionEntity } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';

/** A run as triggered: what the database fills in (id, created_at) left out. */
export type NewRun = Omit<BatchRunEntity, 'id' | 'createdAt'>;

/** The columns an update may change. */
export type RunChanges = Partial<Omit<BatchRunEntity, 'id' | 'createdAt'>>;

/** The batch_runs table: every statement on it. What a run may do is the services' rule. */
export interface RunsRepository {
  get(id: string, tx?: Transaction): Promise<BatchRunEntity | null>;
  /** The run; throws (TypeORM's EntityNotFoundError) when there is none. */
  getOrFail(id: string): Promise<BatchRunEntity>;
  insert(run: NewRun, tx: Transaction): Promise<BatchRunEntity>;
  update(id: string, changes: RunChanges, tx?: Transaction): Promise<void>;
  /** Newest first, at most `limit`, of one job or all. */
  list(filter: { job?: string; limit: number }): Promise<BatchRunEntity[]>;
  /** The newest successful, finished run of a job whose version's source is `source`. */
  lastSuccessOfSource(source: string): Promise<BatchRunEntity | null>;
  /** Each job's newest successful run's finished_at (null if none of them finished). */
  lastSuccessPerJob(): Promise<{ job: string; finishedAt: Date | null }[]>;
}

@Injectable()
export class TypeOrmRunsRepository implements RunsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private rows(tx?: Transaction) {
    return managerOf(this.db, tx).getRepository(BatchRunEntity);
  }

  get(id: string, tx?: Transaction): Promise<BatchRunEntity | null> {
    return this.rows(tx).findOneBy({ id });
  }

  getOrFail(id: string): Promise<BatchRunEntity> {
    return this.rows().findOneByOrFail({ id });
  }

  insert(run: NewRun, tx: Transaction): Promise<BatchRunEntity> {
    return this.rows(tx).save({ ...run });
  }

  async update(id: string, changes: RunChanges, tx?: Transaction): Promise<void> {
    await this.rows(tx).update({ id }, changes);
  }

  list(filter: { job?: string; limit: number }): Promise<BatchRunEntity[]> {
    return this.rows().find({
      where: filter.job ? { jobName: filter.job } : {},
      order: { createdAt: 'DESC' },
      take: filter.limit,
    });
  }

  lastSuccessOfSource(source: string): Promise<BatchRunEntity | null> {
    return this.rows()
      .createQueryBuilder('r')
      .innerJoin(
        JobVersionEntity,
        'v',
        'v.job_name = r.job_name AND v.version = r.version AND v.source = :source',
        { source },
      )
      .where('r.state = :state', { state: 'success' })
      .andWhere('r.finished_at IS NOT NULL')
      .orderBy('r.finished_at', 'DESC')
      .limit(1)
      .getOne();
  }

  async lastSuccessPerJob(): Promise<{ job: string; finishedAt: Date | null }[]> {
    const rows = await this.rows()
      .createQueryBuilder('r')
      .select('r.job_name', 'job')
      .addSelect('MAX(r.finished_at)', 'finished_at')
      .where('r.state = :state', { state: 'success' })
      .groupBy('r.job_name')
      .getRawMany<{ job: string; finished_at: Date | null }>();
    return rows.map((r) => ({ job: r.job, finishedAt: r.finished_at }));
  }
}
