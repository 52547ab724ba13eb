import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobEntity, JobVersionEntity } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';

/**
 * The jobs and their immutable versions, as deployments, runs and operations read them.
 * (JobsService's own statements are to move here too: issue 22.)
 */
export interface JobsRepository {
  job(name: string, tx?: Transaction): Promise<JobEntity | null>;
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
