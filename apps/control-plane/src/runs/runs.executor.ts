import { Inject, Injectable } from '@nestjs/common';
import { OperationEntity, RunState } from '@fstore/control-store';
import { FstoreConfig } from '@fstore/config';
import {
  BatchState,
  isTerminal,
  LivyBatchNotFoundError,
  LivyInvalidRequestError,
  LivyRequestError,
} from '@fstore/livy';
import { JobsRepository } from '../jobs/jobs.repository';
import { SourcesRepository } from '../jobs/sources.repository';
import { OperationFailed } from '../operations/transient';
import { Transaction, Transactions } from '../store/transactions';
import { RunArgumentError, submittedArgs } from './batch-args';
import { BatchRuntime } from './batch-runtime';
import { withDefinitionsArg } from './definitions-arg';
import { jobError } from './job-output';
import { OperationsRepository } from '../operations/operations.repository';
import { RunsRepository } from './runs.repository';
import {
  BATCH_RUNTIME,
  CONFIG,
  JOBS_REPOSITORY,
  OPERATIONS_REPOSITORY,
  RUNS_REPOSITORY,
  SOURCES,
  TRANSACTIONS,
} from '../tokens';

const LOG_LINES = 200;
const POLL_MS = 2000;

export function runStateOf(state: BatchState): RunState {
  if (state === 'success') return 'success';
  if (state === 'killed') return 'killed';
  if (state === 'dead' || state === 'error') return 'failed';
  if (state === 'not_started' || state === 'starting') return 'starting';
  return 'running';
}

/** Executes batch runs: one run's operation, or a backfill's day after day. */
@Injectable()
export class RunsExecutor {
  constructor(
    @Inject(TRANSACTIONS) private readonly transactions: Transactions,
    @Inject(RUNS_REPOSITORY) private readonly runs: RunsRepository,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(JOBS_REPOSITORY) private readonly jobs: JobsRepository,
    @Inject(BATCH_RUNTIME) private readonly runtime: BatchRuntime,
    @Inject(SOURCES) private readonly sources: SourcesRepository,
    @Inject(CONFIG) private readonly config: FstoreConfig,
  ) {}

  async execute(
    op: OperationEntity,
    succeed: (tx: Transaction, result: Record<string, unknown>) => Promise<void>,
  ): Promise<void> {
    const { batchId, state } = await this.follow(op.target.replace(/^run:/, ''));
    await this.transactions.run((tx) => succeed(tx, { livy_batch_id: batchId, state }));
  }

  /**
   * A backfill (RunsService.backfill): its days in order, each one run created when it starts
   * (recorded in the operation's progress in the same transaction, so that a resumed operation
   * follows the run it made rather than making another), the next day only after a success.
   * The first failure ends the operation: the days after it are never started.
   */
  async backfill(
    op: OperationEntity,
    succeed: (tx: Transaction, result: Record<string, unknown>) => Promise<void>,
  ): Promise<void> {
    const progress = backfillProgress(op);
    const request = op.request as { job: string; args: string[] };
    const done: Record<string, unknown>[] = [];
    for (const [i, asOf] of progress.days.entries()) {
      let runId = progress.runs[i];
      if (!runId) {
        runId = await this.transactions.run(async (tx) => {
          const run = await this.runs.insert(
            {
              jobName: request.job,
              version: progress.version,
              args: [...request.args, '--as-of', asOf],
              asOf: new Date(asOf),
              livyBatchId: null,
              state: 'queued',
              livyState: null,
              logTail: null,
              error: null,
              operationId: op.id,
              startedAt: null,
              finishedAt: null,
              observedAt: null,
            },
            tx,
          );
          progress.runs.push(run.id);
          // The operation in hand too: a failure marks this run (fail() reads its progress).
          op.progress = { ...progress };
          await this.operations.saveProgress(op.id, op.progress, tx);
          return run.id;
        });
      }
      try {
        const { batchId } = await this.follow(runId);
        done.push({ as_of: asOf, run_id: runId, livy_batch_id: batchId });
      } catch (e) {
        if (!(e instanceof OperationFailed)) throw e;
        const left = progress.days.length - i - 1;
        throw new OperationFailed(
          `day ${i + 1} of ${progress.days.length} (as of ${asOf}, run ${runId}) failed: ${e.message}` +
            (left > 0 ? `; the ${left} day(s) after it were not started` : ''),
        );
      }
    }
    await this.transactions.run((tx) => succeed(tx, { days: done.length, runs: done }));
  }

  /**
   * Submits a run once (under a name unique to the run, looked for again after a crash), follows
   * it to its end and keeps its state and log tail. A run that does not succeed throws
   * OperationFailed with the job's error.
   */
  private async follow(runId: string): Promise<{ batchId: number; state: BatchState }> {
    const run = await this.runs.getOrFail(runId);
    const name = `fstore-run-${run.id}`;
    try {
      let batchId = run.livyBatchId ?? (await this.runtime.findByName(name));
      if (batchId === undefined || batchId === null) {
        const version = await this.jobs.versionOrFail(run.jobName, run.version);
        let args: string[];
        try {
          // Checked again (the declaration or the landing folder may have changed since), then
          // the connection targets from configuration.
          args = submittedArgs(version.source, run.args, this.config);
        } catch (e) {
          if (e instanceof RunArgumentError) throw new OperationFailed(`run refused: ${e.message}`);
          throw e;
        }
        batchId = await this.runtime.submit({
          file: this.sources.forBatchRuntime(version.source, this.config.control.batchJobDir),
          args: withDefinitionsArg(version.source, args, this.config.stackDir),
          name,
        });
      }
      await this.runs.update(run.id, {
        livyBatchId: batchId,
        state: 'starting',
        startedAt: run.startedAt ?? new Date(),
      });
      for (;;) {
        const state = await this.runtime.state(batchId);
        const final = isTerminal(state);
        // While it runs too: the job's progress lines are its log's last lines.
        const logTail =
          final || state === 'running'
            ? (await this.runtime.log(batchId, LOG_LINES)).join('\n')
            : undefined;
        await this.runs.update(run.id, {
          livyState: state,
          state: runStateOf(state),
          observedAt: new Date(),
          ...(logTail !== undefined ? { logTail } : {}),
          ...(final ? { finishedAt: new Date() } : {}),
        });
        if (final) {
          if (state !== 'success') {
            const reason = jobError(logTail ?? '');
            throw new OperationFailed(
              reason ?? `batch ${batchId} ended ${state} (see the run's log)`,
            );
          }
          return { batchId, state };
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (e) {
      if (e instanceof LivyBatchNotFoundError) {
        throw new OperationFailed(`Livy no longer knows batch ${e.batchId} (vanished)`);
      }
      if (e instanceof LivyRequestError || e instanceof LivyInvalidRequestError) {
        throw new OperationFailed(`Livy refused the run: ${e.message}`);
      }
      throw e;
    }
  }

  /**
   * The run ends failed with the operation (its log tail, if any, is kept): a run operation's
   * run, or the run of a backfill's day that was going on.
   */
  async fail(tx: Transaction, op: OperationEntity, error: string): Promise<void> {
    const runId =
      op.kind === 'backfill' ? backfillProgress(op).runs.at(-1) : op.target.replace(/^run:/, '');
    const run = runId ? await this.runs.get(runId, tx) : null;
    if (!run || (op.kind === 'backfill' && run.state === 'success')) return;
    await this.runs.update(
      run.id,
      {
        state: run.state === 'killed' ? 'killed' : 'failed',
        error,
        finishedAt: run.finishedAt ?? new Date(),
      },
      tx,
    );
  }
}

/** A backfill's progress: its version and days (set when accepted), the runs made so far. */
function backfillProgress(op: OperationEntity): {
  version: number;
  days: string[];
  runs: string[];
} {
  const p = op.progress as { version: number; days: string[]; runs?: string[] };
  return { version: p.version, days: p.days, runs: [...(p.runs ?? [])] };
}
