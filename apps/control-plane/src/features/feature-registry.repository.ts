import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Like, Not } from 'typeorm';
import {
  BatchRunEntity,
  DeploymentEntity,
  FeatureVersionEntity,
  JobVersionEntity,
  JsonObject,
} from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';
import { RegisteredFeature } from './feature-plan';

/** A feature version as `apply` records it: what the database fills in left out. */
export interface NewFeatureVersion {
  name: string;
  version: number;
  computeHash: string;
  engine: string;
  source: string;
  definition: JsonObject;
  removed: boolean;
  appliedBy: string;
}

/** One applied version of a feature, as the registry stored it. */
export interface FeatureVersionRecord {
  version: number;
  removed: boolean;
  appliedBy: string;
  appliedAt: Date;
  /** The definition as applied (`fstore features export`'s JSON of the feature). */
  definition: JsonObject;
}

/** A live deployment of a streaming job with the SHA-256 of the SQL its version runs. */
export interface LiveStreamDeployment {
  deployment: DeploymentEntity;
  sha256: string | undefined;
}

/**
 * The feature registry (`feature_versions`, immutable rows) and what the catalog reads beside it
 * (which jobs run a file, their newest live deployment or successful run): every statement of
 * the features service. The plan and the catalog rules are the service's.
 */
export interface FeatureRegistryRepository {
  /** Each feature's latest version (removed ones included, marked). */
  latest(tx?: Transaction): Promise<RegisteredFeature[]>;
  /** Holds other applies off until the transaction ends (the versions read next stay latest). */
  lockForApply(tx: Transaction): Promise<void>;
  insert(row: NewFeatureVersion, tx: Transaction): Promise<void>;
  /** Every version of one feature, newest first (none: never applied). */
  versions(name: string): Promise<FeatureVersionRecord[]>;
  /** The not-cancelled deployments of jobs whose names start with `jobPrefix`. */
  liveDeployments(jobPrefix: string): Promise<LiveStreamDeployment[]>;
  /** The names of the jobs that have a version running this file. */
  jobsRunning(source: string): Promise<string[]>;
  /** The newest not-cancelled deployment of these jobs. */
  newestLiveDeployment(jobs: string[]): Promise<DeploymentEntity | null>;
  /** The newest successful batch run of these jobs. */
  newestSuccessfulRun(jobs: string[]): Promise<BatchRunEntity | null>;
}

@Injectable()
export class TypeOrmFeatureRegistryRepository implements FeatureRegistryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async latest(tx?: Transaction): Promise<RegisteredFeature[]> {
    const rows = await managerOf(this.db, tx)
      .getRepository(FeatureVersionEntity)
      .createQueryBuilder('f')
      .distinctOn(['f.name'])
      .orderBy('f.name')
      .addOrderBy('f.version', 'DESC')
      .getMany();
    return rows.map((r) => ({
      name: r.name,
      version: r.version,
      computeHash: r.computeHash,
      removed: r.removed,
      appliedBy: r.appliedBy,
      appliedAt: r.appliedAt,
      definition: r.definition as RegisteredFeature['definition'],
    }));
  }

  async lockForApply(tx: Transaction): Promise<void> {
    await managerOf(this.db, tx).query('LOCK TABLE feature_versions IN SHARE ROW EXCLUSIVE MODE');
  }

  async insert(row: NewFeatureVersion, tx: Transaction): Promise<void> {
    await managerOf(this.db, tx).getRepository(FeatureVersionEntity).insert(row);
  }

  async versions(name: string): Promise<FeatureVersionRecord[]> {
    const rows = await this.db.getRepository(FeatureVersionEntity).find({
      where: { name },
      order: { version: 'DESC' },
    });
    return rows.map((r) => ({
      version: r.version,
      removed: r.removed,
      appliedBy: r.appliedBy,
      appliedAt: r.appliedAt,
      definition: r.definition,
    }));
  }

  async liveDeployments(jobPrefix: string): Promise<LiveStreamDeployment[]> {
    const live = await this.db.getRepository(DeploymentEntity).find({
      where: { jobName: Like(`${jobPrefix}%`), desiredState: Not('cancelled') },
    });
    const versions = this.db.getRepository(JobVersionEntity);
    return Promise.all(
      live.map(async (deployment) => {
        const v = await versions.findOneBy({
          jobName: deployment.jobName,
          version: deployment.version,
        });
        return { deployment, sha256: v?.sha256 };
      }),
    );
  }

  async jobsRunning(source: string): Promise<string[]> {
    const producers = await this.db
      .getRepository(JobVersionEntity)
      .createQueryBuilder('v')
      .select('DISTINCT v.job_name', 'job_name')
      .where('v.source = :source', { source })
      .getRawMany<{ job_name: string }>();
    return producers.map((p) => p.job_name);
  }

  newestLiveDeployment(jobs: string[]): Promise<DeploymentEntity | null> {
    return this.db.getRepository(DeploymentEntity).findOne({
      where: { jobName: In(jobs), desiredState: Not('cancelled') },
      order: { createdAt: 'DESC' },
    });
  }

  newestSuccessfulRun(jobs: string[]): Promise<BatchRunEntity | null> {
    return this.db.getRepository(BatchRunEntity).findOne({
      where: { jobName: In(jobs), state: 'success' },
      order: { finishedAt: 'DESC' },
    });
  }
}
