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
import { RunsRepository } from './runs.repository';
import {
  BATCH_RUNTIME,
  CONFIG,
  JOBS_REPOSITORY,
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

/**
 * Executes a batch run: submits it once (under a name unique to the run, looked for again
 * after a crash), follows it to its end, and keeps its state and log tail.
 */
@Injectable()
export class RunsExecutor {
  constructor(
    @Inject(TRANSACTIONS) private readonly transactions: Transactions,
    @Inject(RUNS_REPOSITORY) private readonly runs: RunsRepository,
    @Inject(JOBS_REPOSITORY) private readonly jobs: JobsRepository,
    @Inject(BATCH_RUNTIME) private readonly runtime: BatchRuntime,
    @Inject(SOURCES) private readonly sources: SourcesRepository,
    @Inject(CONFIG) private readonly config: FstoreConfig,
  ) {}

  async execute(
    op: OperationEntity,
    succeed: (tx: Transaction, result: Record<string, unknown>) => Promise<void>,
  ): Promise<void> {
    const runId = op.target.replace(/^run:/, '');
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
          await this.transactions.run((tx) => succeed(tx, { livy_batch_id: batchId, state }));
          return;
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

  /** The run ends failed with the operation (its log tail, if any, is kept). */
  async fail(tx: Transaction, op: OperationEntity, error: string): Promise<void> {
    const runId = op.target.replace(/^run:/, '');
    const run = await this.runs.get(runId, tx);
    if (!run) return;
    await this.runs.update(
      runId,
      {
        state: run.state === 'killed' ? 'killed' : 'failed',
        error,
        finishedAt: run.finishedAt ?? new Date(),
      },
      tx,
    );
  }
}
