import { FstoreConfig } from '@fstore/config';
import {
  FlinkJobNotFoundError,
  FlinkJobs,
  JobStatus,
  SubmitOptions,
  TERMINAL_STATES,
} from '@fstore/flink';

/** Flink (SQL Gateway + JobManager REST) through @fstore/flink; no rules here. */
export class FlinkRepository {
  constructor(private readonly jobs: FlinkJobs) {}

  static fromConfig(config: FstoreConfig): FlinkRepository {
    return new FlinkRepository(FlinkJobs.fromConfig(config));
  }

  /** Renders and checks a script without sending it (placeholders, one job statement). */
  check(script: string, values: Record<string, string>): void {
    this.jobs.prepare(script, values);
  }

  submit(script: string, opts: SubmitOptions): Promise<string> {
    return this.jobs.submitScript(script, opts);
  }

  /** The job of that pipeline name that has not ended, if Flink has one. */
  async findLiveJob(name: string): Promise<string | undefined> {
    const jobs = await this.jobs.jobManager.jobs();
    return jobs.find((j) => j.name === name && !TERMINAL_STATES.includes(j.state))?.jid;
  }

  /** A job of that pipeline name in any state (newest first). */
  async findJob(name: string): Promise<{ jobId: string; state: string } | undefined> {
    const jobs = (await this.jobs.jobManager.jobs())
      .filter((j) => j.name === name)
      .sort((a, b) => b['start-time'] - a['start-time']);
    return jobs[0] && { jobId: jobs[0].jid, state: jobs[0].state };
  }

  waitUntilRunning(jobId: string, timeoutMs = 120000): Promise<void> {
    return this.jobs.waitUntilRunning(jobId, timeoutMs);
  }

  stopWithSavepoint(jobId: string): Promise<string> {
    return this.jobs.stopWithSavepoint(jobId, { timeoutMs: 120000 });
  }

  /** The location of the job's latest savepoint, if it took one. */
  async latestSavepoint(jobId: string): Promise<string | undefined> {
    const stats = await this.jobs.jobManager.checkpoints(jobId);
    return stats.latest.savepoint?.external_path ?? undefined;
  }

  cancel(jobId: string): Promise<void> {
    return this.jobs.cancel(jobId, 120000);
  }

  /** The job's status, or undefined if the JobManager does not know it (vanished). */
  async status(jobId: string): Promise<JobStatus | undefined> {
    try {
      return await this.jobs.status(jobId);
    } catch (e) {
      if (e instanceof FlinkJobNotFoundError) return undefined;
      throw e;
    }
  }

  /** How many times the job restarted after a failure (Flink's exception history). */
  async restarts(jobId: string): Promise<number> {
    const ex = await this.jobs.jobManager.exceptions(jobId);
    return ex.exceptionHistory?.entries.length ?? 0;
  }

  async ping(): Promise<void> {
    await this.jobs.jobManager.overview();
  }
}
