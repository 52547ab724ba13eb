import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobEntity, JobVersionEntity } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';

/** A job as registered: what the database fills in (created_at) left out. */
export type NewJob = Omit<JobEntity, 'createdAt'>;

/** A version as registered: what the database fills in (id, created_at) left out. */
export type NewJobVersion = Omit<JobVersionEntity, 'id' | 'createdAt'>;

/** The jobs and their immutable versions (a trigger refuses UPDATE of a version). */
export interface JobsRepository {
  job(name: string, tx?: Transaction): Promise<JobEntity | null>;
  /** The job, locked (FOR UPDATE) until the transaction ends. */
  jobLocked(name: string, tx: Transaction): Promise<JobEntity | null>;
  exists(name: string, tx: Transaction): Promise<boolean>;
  /** Every job, by name. */
  list(): Promise<JobEntity[]>;
  insertJob(job: NewJob, tx: Transaction): Promise<void>;
  insertVersion(version: NewJobVersion, tx: Transaction): Promise<JobVersionEntity>;
  /** The job's highest version number, 0 if it has none. */
  maxVersion(jobName: string, tx: Transaction): Promise<number>;
  /** The job's versions, oldest first, without their content and id (not read). */
  versionSummaries(jobName: string): Promise<JobVersionEntity[]>;
  hasVersion(jobName: string, version: number, tx?: Transaction): Promise<boolean>;
  version(jobName: string, version: number, tx?: Transaction): Promise<JobVersionEntity | null>;
  /** The job's highest version. */
  latestVersion(jobName: string, tx?: Transaction): Promise<JobVersionEntity | null>;
  /** The version; throws (TypeORM's EntityNotFoundError) when there is none. */
  versionOrFail(jobName: string, version: number): Promise<JobVersionEntity>;
}

@Injectable()
export class TypeOrmJobsRepository implements JobsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  job(name: string, tx?: Transaction): Promise<JobEntity | null> {
    return managerOf(this.db, tx).getRepository(JobEntity).findOneBy({ name });
  }

  jobLocked(name: string, tx: Transaction): Promise<JobEntity | null> {
    return managerOf(this.db, tx)
      .getRepository(JobEntity)
      .findOne({ where: { name }, lock: { mode: 'pessimistic_write' } });
  }

  exists(name: string, tx: Transaction): Promise<boolean> {
    return managerOf(this.db, tx).getRepository(JobEntity).existsBy({ name });
  }

  list(): Promise<JobEntity[]> {
    return this.db.getRepository(JobEntity).find({ order: { name: 'ASC' } });
  }

  async insertJob(job: NewJob, tx: Transaction): Promise<void> {
    await managerOf(this.db, tx).getRepository(JobEntity).insert(job);
  }

  insertVersion(version: NewJobVersion, tx: Transaction): Promise<JobVersionEntity> {
    return managerOf(this.db, tx)
      .getRepository(JobVersionEntity)
      .save({ ...version });
  }

  async maxVersion(jobName: string, tx: Transaction): Promise<number> {
    const last = await managerOf(this.db, tx)
      .getRepository(JobVersionEntity)
      .createQueryBuilder('v')
      .select('COALESCE(MAX(v.version), 0)', 'max')
      .where('v.job_name = :name', { name: jobName })
      .getRawOne<{ max: number }>();
    return Number(last?.max ?? 0);
  }

  versionSummaries(jobName: string): Promise<JobVersionEntity[]> {
    return this.db.getRepository(JobVersionEntity).find({
      where: { jobName },
      order: { version: 'ASC' },
      select: ['jobName', 'version', 'source', 'sha256', 'parameters', 'createdBy', 'createdAt'],
    });
  }

  hasVersion(jobName: string, version: number, tx?: Transaction): Promise<boolean> {
    return managerOf(this.db, tx).getRepository(JobVersionEntity).existsBy({ jobName, version });
  }

  version(jobName: string, version: number, tx?: Transaction): Promise<JobVersionEntity | null> {
    return managerOf(this.db, tx).getRepository(JobVersionEntity).findOneBy({ jobName, version });
  }

  latestVersion(jobName: string, tx?: Transaction): Promise<JobVersionEntity | null> {
    return managerOf(this.db, tx)
      .getRepository(JobVersionEntity)
      .findOne({ where: { jobName }, order: { version: 'DESC' } });
  }

  versionOrFail(jobName: string, version: number): Promise<JobVersionEntity> {
    return this.db.getRepository(JobVersionEntity).findOneByOrFail({ jobName, version });
  }
}
