import { createHash } from 'crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Not, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { transactionOf } from '../store/typeorm-transactions';
import { Principal } from '../auth/api-keys.service';
import { DeploymentEntity, JobEntity, JobKind, JobVersionEntity } from '@fstore/control-store';
import { InvalidField } from '@fstore/rest-api';
import { Conflict, NotFound } from '../errors/domain-errors';
import { FlinkRepository } from '../flink/flink.repository';
import { checkVersion } from './placeholders';
import { SourceNotAllowedError, SourcesRepository } from './sources.repository';
import { FLINK, SOURCES } from '../tokens';

const MAX_PARAMETERS = 32;

/** Job definitions and their immutable versions. */
@Injectable()
export class JobsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @InjectRepository(JobVersionEntity) private readonly versions: Repository<JobVersionEntity>,
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
    @Inject(SOURCES) private readonly sources: SourcesRepository,
    @Inject(FLINK) private readonly flink: FlinkRepository,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  async register(
    input: {
      name: string;
      kind: JobKind;
      source: string;
      parameters?: Record<string, string>;
      description?: string;
    },
    principal: Principal,
  ): Promise<JobVersionEntity> {
    const version = this.buildVersion(input.name, input.kind, input.source, input.parameters);
    return this.db.transaction(async (tx) => {
      if (await tx.getRepository(JobEntity).existsBy({ name: input.name })) {
        throw Conflict(`job ${input.name} exists; register a new version of it instead`);
      }
      await tx.getRepository(JobEntity).insert({
        name: input.name,
        kind: input.kind,
        description: input.description ?? '',
        createdBy: principal.actor,
      });
      const row = await tx
        .getRepository(JobVersionEntity)
        .save({ ...version, version: 1, createdBy: principal.actor });
      await this.audit.record(
        {
          actor: principal.actor,
          action: 'job.register',
          target: `job:${input.name}`,
          outcome: 'succeeded',
          detail: {
            version: 1,
            source: input.source,
            sha256: version.sha256,
            parameters: version.parameters,
          },
        },
        transactionOf(tx),
      );
      return row;
    });
  }

  async addVersion(
    name: string,
    input: { source: string; parameters?: Record<string, string> },
    principal: Principal,
  ): Promise<JobVersionEntity> {
    const job = await this.getJob(name);
    const version = this.buildVersion(name, job.kind, input.source, input.parameters);
    return this.db.transaction(async (tx) => {
      // Serialise version numbering per job.
      await tx.getRepository(JobEntity).findOne({
        where: { name },
        lock: { mode: 'pessimistic_write' },
      });
      const last = await tx
        .getRepository(JobVersionEntity)
        .createQueryBuilder('v')
        .select('COALESCE(MAX(v.version), 0)', 'max')
        .where('v.job_name = :name', { name })
        .getRawOne<{ max: number }>();
      const next = Number(last?.max ?? 0) + 1;
      const row = await tx
        .getRepository(JobVersionEntity)
        .save({ ...version, version: next, createdBy: principal.actor });
      await this.audit.record(
        {
          actor: principal.actor,
          action: 'job.version',
          target: `job:${name}`,
          outcome: 'succeeded',
          detail: {
            version: next,
            source: input.source,
            sha256: version.sha256,
            parameters: version.parameters,
          },
        },
        transactionOf(tx),
      );
      return row;
    });
  }

  /**
   * Reads and checks the source: only whitelisted folders. A Flink script must pass the job-script
   * policy and render; each parameter is a placeholder the script uses (outside comments), of its
   * type (topics and groups by grammar; brokers and paths never from a caller). A PySpark job must
   * have an argument declaration (runs/batch-args.ts) and takes no parameters.
   */
  private buildVersion(
    jobName: string,
    kind: JobKind,
    source: string,
    parameters: Record<string, string> = {},
  ): Omit<JobVersionEntity, 'id' | 'version' | 'createdAt' | 'createdBy'> & { createdBy: string } {
    const names = Object.keys(parameters);
    if (names.length > MAX_PARAMETERS) {
      throw InvalidField(['body', 'parameters'], `at most ${MAX_PARAMETERS} parameters`);
    }
    let content: string;
    try {
      content = this.sources.read(kind, source);
    } catch (e) {
      if (e instanceof SourceNotAllowedError) throw InvalidField(['body', 'source'], e.message);
      throw e;
    }
    checkVersion(this.flink, { jobName, kind, source, content, parameters });
    return {
      jobName,
      source,
      content,
      sha256: createHash('sha256').update(content).digest('hex'),
      parameters,
      createdBy: '',
    };
  }

  list(): Promise<JobEntity[]> {
    return this.jobs.find({ order: { name: 'ASC' } });
  }

  async getJob(name: string): Promise<JobEntity> {
    const job = await this.jobs.findOneBy({ name });
    if (!job) throw NotFound('job', name);
    return job;
  }

  async describe(name: string) {
    const job = await this.getJob(name);
    const versions = await this.versions.find({
      where: { jobName: name },
      order: { version: 'ASC' },
      select: ['jobName', 'version', 'source', 'sha256', 'parameters', 'createdBy', 'createdAt'],
    });
    const live = await this.deployments.findOneBy({
      jobName: name,
      desiredState: Not('cancelled'),
    });
    return { job, versions, live };
  }

  async getVersion(name: string, version: number): Promise<JobVersionEntity> {
    const row = await this.versions.findOneBy({ jobName: name, version });
    if (!row) throw NotFound('job version', `${name}@${version}`);
    return row;
  }
}
