import { createHash } from 'crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { JobEntity, JobKind, JobVersionEntity } from '@fstore/control-store';
import { InvalidField } from '@fstore/rest-api';
import { Conflict, NotFound } from '../errors/domain-errors';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import { FlinkRepository } from '../flink/flink.repository';
import { Transactions } from '../store/transactions';
import { JobsRepository } from './jobs.repository';
import { checkVersion } from './placeholders';
import { SourceNotAllowedError, SourcesRepository } from './sources.repository';
import { DEPLOYMENTS_REPOSITORY, FLINK, JOBS_REPOSITORY, SOURCES, TRANSACTIONS } from '../tokens';

const MAX_PARAMETERS = 32;

/** Job definitions and their immutable versions. */
@Injectable()
export class JobsService {
  constructor(
    @Inject(TRANSACTIONS) private readonly transactions: Transactions,
    @Inject(JOBS_REPOSITORY) private readonly jobs: JobsRepository,
    @Inject(DEPLOYMENTS_REPOSITORY) private readonly deployments: DeploymentsRepository,
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
    return this.transactions.run(async (tx) => {
      if (await this.jobs.exists(input.name, tx)) {
        throw Conflict(`job ${input.name} exists; register a new version of it instead`);
      }
      await this.jobs.insertJob(
        {
          name: input.name,
          kind: input.kind,
          description: input.description ?? '',
          createdBy: principal.actor,
        },
        tx,
      );
      const row = await this.jobs.insertVersion(
        { ...version, version: 1, createdBy: principal.actor },
        tx,
      );
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
        tx,
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
    return this.transactions.run(async (tx) => {
      // Serialise version numbering per job.
      await this.jobs.jobLocked(name, tx);
      const next = (await this.jobs.maxVersion(name, tx)) + 1;
      const row = await this.jobs.insertVersion(
        { ...version, version: next, createdBy: principal.actor },
        tx,
      );
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
        tx,
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
    return this.jobs.list();
  }

  async getJob(name: string): Promise<JobEntity> {
    const job = await this.jobs.job(name);
    if (!job) throw NotFound('job', name);
    return job;
  }

  async describe(name: string) {
    const job = await this.getJob(name);
    const versions = await this.jobs.versionSummaries(name);
    const live = await this.deployments.liveOfJob(name);
    return { job, versions, live };
  }

  async getVersion(name: string, version: number): Promise<JobVersionEntity> {
    const row = await this.jobs.version(name, version);
    if (!row) throw NotFound('job version', `${name}@${version}`);
    return row;
  }
}
