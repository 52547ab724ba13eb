import { Inject, Injectable } from '@nestjs/common';
import { Principal } from '../auth/api-keys.service';
import { BatchRunEntity } from '@fstore/control-store';
import { InvalidField } from '@fstore/rest-api';
import { FstoreConfig } from '@fstore/config';
import { CONSISTENCY_JOB } from '@fstore/contracts';
import { ControlMetrics } from '../metrics/metrics';
import { InvalidArgument, NotFound } from '../errors/domain-errors';
import { JobsRepository } from '../jobs/jobs.repository';
import { Accepted, OperationsService } from '../operations/operations.service';
import { Transaction } from '../store/transactions';
import { backfillDays } from './backfill-days';
import { batchJobArgs, checkRunArgs, RunArgumentError } from './batch-args';
import { RunsRepository } from './runs.repository';
import { CONFIG, JOBS_REPOSITORY, RUNS_REPOSITORY } from '../tokens';

@Injectable()
export class RunsService {
  constructor(
    @Inject(RUNS_REPOSITORY) private readonly runs: RunsRepository,
    @Inject(JOBS_REPOSITORY) private readonly jobs: JobsRepository,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(ControlMetrics) metrics: ControlMetrics,
  ) {
    metrics.lastSuccessSource = () => this.lastSuccesses();
    metrics.consistency.source = () => this.lastConsistencyRun();
  }

  /** The newest successful run of a job whose source is spark-jobs/consistency.py. */
  async lastConsistencyRun(): Promise<{ finishedAt: Date; logTail: string | null } | undefined> {
    const run = await this.runs.lastSuccessOfSource(CONSISTENCY_JOB);
    return run?.finishedAt ? { finishedAt: run.finishedAt, logTail: run.logTail } : undefined;
  }

  /** The newest successful run of each job. */
  async lastSuccesses(): Promise<{ job: string; finishedAt: Date }[]> {
    const rows = await this.runs.lastSuccessPerJob();
    return rows.flatMap((r) =>
      r.finishedAt ? [{ job: r.job, finishedAt: new Date(r.finishedAt) }] : [],
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
      async (tx, operationId) => {
        const version = await this.batchVersion(jobName, input.version, tx);
        const args = this.checkArgs(version.source, input.args ?? [], input.as_of);
        const run = await this.runs.insert(
          {
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
          },
          tx,
        );
        return `run:${run.id}`;
      },
    );
  }

  /**
   * A backfill: one run a day from `from` to `to` (both included), each as of that day 00:00
   * UTC, the next started when the one before succeeded, stopped at the first that fails (the
   * days after it are not started). One operation (kind `backfill`, target `job:<name>`); the
   * worker creates each day's run when it starts it (RunsExecutor.backfill). Everything a day's
   * run would refuse is refused here, before anything runs.
   */
  async backfill(
    jobName: string,
    input: { from: string; to: string; version?: number; args?: string[] },
    principal: Principal,
    idempotencyKey?: string,
  ): Promise<Accepted> {
    const days = backfillDays(input.from, input.to);
    const request = {
      job: jobName,
      version: input.version,
      from: input.from,
      to: input.to,
      args: input.args ?? [],
    };
    return this.operations.accept(
      { kind: 'backfill', action: 'run.backfill', request, principal, idempotencyKey },
      async (tx) => {
        const version = await this.batchVersion(jobName, input.version, tx);
        if (!batchJobArgs(version.source)?.options['--as-of']) {
          throw InvalidField(
            ['path', 'name'],
            `job ${jobName} (${version.source}) takes no --as-of: it cannot be backfilled`,
          );
        }
        for (const asOf of days) this.checkArgs(version.source, input.args ?? [], asOf);
        return {
          target: `job:${jobName}`,
          progress: { version: version.version, days, runs: [] },
        };
      },
    );
  }

  /** The job's version a run uses (the latest by default); 404/400 when there is none. */
  private async batchVersion(jobName: string, version: number | undefined, tx: Transaction) {
    const job = await this.jobs.job(jobName, tx);
    if (!job) throw NotFound('job', jobName);
    if (job.kind !== 'pyspark') {
      throw InvalidField(['path', 'name'], `job ${jobName} is a streaming job: deploy it`);
    }
    const found = version
      ? await this.jobs.version(jobName, version, tx)
      : await this.jobs.latestVersion(jobName, tx);
    if (!found) throw InvalidField(['body', 'version'], `job ${jobName} has no such version`);
    return found;
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
    return this.runs.list(filter);
  }

  async get(id: string): Promise<BatchRunEntity> {
    const run = await this.runs.get(id);
    if (!run) throw NotFound('run', id);
    return run;
  }
}
