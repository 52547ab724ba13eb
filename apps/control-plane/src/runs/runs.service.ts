import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Principal } from '../auth/api-keys.service';
import { BatchRunEntity, JobEntity, JobVersionEntity } from '@fstore/control-store';
import { InvalidField } from '@fstore/rest-api';
import { FstoreConfig } from '@fstore/config';
import { CONSISTENCY_JOB } from '@fstore/contracts';
import { ControlMetrics } from '../metrics/metrics';
import { InvalidArgument, NotFound } from '../errors/domain-errors';
import { Accepted, OperationsService } from '../operations/operations.service';
import { managerOf } from '../store/typeorm-transactions';
import { batchJobArgs, checkRunArgs, RunArgumentError } from './batch-args';
import { CONFIG } from '../tokens';

@Injectable()
export class RunsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(BatchRunEntity) private readonly runs: Repository<BatchRunEntity>,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(ControlMetrics) metrics: ControlMetrics,
  ) {
    metrics.lastSuccessSource = () => this.lastSuccesses();
    metrics.consistency.source = () => this.lastConsistencyRun();
  }

  /** The newest successful run of a job whose source is spark-jobs/consistency.py. */
  async lastConsistencyRun(): Promise<{ finishedAt: Date; logTail: string | null } | undefined> {
    const run = await this.runs
      .createQueryBuilder('r')
      .innerJoin(
        JobVersionEntity,
        'v',
        'v.job_name = r.job_name AND v.version = r.version AND v.source = :source',
        { source: CONSISTENCY_JOB },
      )
      .where('r.state = :state', { state: 'success' })
      .andWhere('r.finished_at IS NOT NULL')
      .orderBy('r.finished_at', 'DESC')
      .limit(1)
      .getOne();
    return run?.finishedAt ? { finishedAt: run.finishedAt, logTail: run.logTail } : undefined;
  }

  /** The newest successful run of each job. */
  async lastSuccesses(): Promise<{ job: string; finishedAt: Date }[]> {
    const rows = await this.runs
      .createQueryBuilder('r')
      .select('r.job_name', 'job')
      .addSelect('MAX(r.finished_at)', 'finished_at')
      .where('r.state = :state', { state: 'success' })
      .groupBy('r.job_name')
      .getRawMany<{ job: string; finished_at: Date | null }>();
    return rows.flatMap((r) =>
      r.finished_at ? [{ job: r.job, finishedAt: new Date(r.finished_at) }] : [],
    );
  }

  trigger(
    jobName: string,
    input: { version?: number; as_of?: string; args?: string[] },
    principal: Principal,
    idempotencyKey?: string,
  ): Promise<Accepted> {
    const request = {
      job: jobName,
      version: input.version,
      as_of: input.as_of,
      args: input.args ?? [],
    };
    return this.operations.accept(
      { kind: 'run', action: 'run.trigger', request, principal, idempotencyKey },
      async (transaction, operationId) => {
        // Not yet behind a runs repository (issue 22): the statements on the transaction's manager.
        const tx = managerOf(this.db, transaction);
        const job = await tx.getRepository(JobEntity).findOneBy({ name: jobName });
        if (!job) throw NotFound('job', jobName);
        if (job.kind !== 'pyspark') {
          throw InvalidField(['path', 'name'], `job ${jobName} is a streaming job: deploy it`);
        }
        const versions = tx.getRepository(JobVersionEntity);
        const version = input.version
          ? await versions.findOneBy({ jobName, version: input.version })
          : await versions.findOne({ where: { jobName }, order: { version: 'DESC' } });
        if (!version) throw InvalidField(['body', 'version'], `job ${jobName} has no such version`);
        const args = this.checkArgs(version.source, input.args ?? [], input.as_of);
        const run = await tx.getRepository(BatchRunEntity).save({
          jobName,
          version: version.version,
          args,
          asOf: input.as_of ? new Date(input.as_of) : null,
          livyBatchId: null,
          state: 'queued',
          livyState: null,
          logTail: null,
          error: null,
          operationId,
          startedAt: null,
          finishedAt: null,
          observedAt: null,
        });
        return `run:${run.id}`;
      },
    );
  }

  /**
   * The caller's arguments (then `--as-of T`), checked against the job's declaration
   * (batch-args.ts) before anything is recorded or sent: 400 naming the argument refused.
   */
  private checkArgs(source: string, args: string[], asOf?: string): string[] {
    if (asOf && !batchJobArgs(source)?.options['--as-of']) {
      throw InvalidArgument(['body', 'as_of'], '--as-of', `${source} takes no --as-of`);
    }
    try {
      return checkRunArgs(source, asOf ? [...args, '--as-of', asOf] : args, {
        landingDir: this.config.control.landingDir,
      });
    } catch (e) {
      if (e instanceof RunArgumentError) {
        if (e.index >= args.length) {
          // After the caller's list: the as-of, or an argument the job needs and was not given.
          const field = e.arg === '--as-of' ? ['body', 'as_of'] : ['body', 'args'];
          throw InvalidArgument(field, e.arg, e.reason);
        }
        throw InvalidArgument(['body', 'args', e.index], e.arg, e.reason);
      }
      throw e;
    }
  }

  list(filter: { job?: string; limit: number }): Promise<BatchRunEntity[]> {
    return this.runs.find({
      where: filter.job ? { jobName: filter.job } : {},
      order: { createdAt: 'DESC' },
      take: filter.limit,
    });
  }

  async get(id: string): Promise<BatchRunEntity> {
    const run = await this.runs.findOneBy({ id });
    if (!run) throw NotFound('run', id);
    return run;
  }
}
