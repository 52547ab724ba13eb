import { JobState, JobStatus, SubmitOptions } from '@fstore/flink';
import { FlinkObserver } from '../deployments/reconciler.service';
import { FlinkControl } from '../operations/operation-executor';

interface InMemoryJob {
  name?: string;
  state: JobState;
  failure?: string;
  restarts: number;
  script?: string;
  options?: SubmitOptions;
}

/** Flink's jobs in memory (the SQL Gateway and JobManager in production), for unit tests. */
export class InMemoryFlink implements FlinkObserver, FlinkControl {
  readonly jobs = new Map<string, InMemoryJob>();
  /** Set to make every question fail as an unreachable JobManager would. */
  unreachable?: Error;
  /** Set to make the next waitUntilRunning fail with it. */
  startFailure?: Error;
  private submitted = 0;

  private reachable(): void {
    if (this.unreachable) throw this.unreachable;
  }

  async submit(script: string, options: SubmitOptions): Promise<string> {
    this.reachable();
    const jobId = `job-${++this.submitted}`;
    this.jobs.set(jobId, { name: options.jobName, state: 'RUNNING', restarts: 0, script, options });
    return jobId;
  }

  async findLiveJob(name: string): Promise<string | undefined> {
    this.reachable();
    const live = [...this.jobs].find(
      ([, j]) => j.name === name && !['CANCELED', 'FINISHED', 'FAILED'].includes(j.state),
    );
    return live?.[0];
  }

  async waitUntilRunning(): Promise<void> {
    this.reachable();
    const failure = this.startFailure;
    this.startFailure = undefined;
    if (failure) throw failure;
  }

  async stopWithSavepoint(jobId: string): Promise<string> {
    this.reachable();
    this.jobs.get(jobId)!.state = 'FINISHED';
    return `file:/savepoints/${jobId}`;
  }

  async latestSavepoint(jobId: string): Promise<string | undefined> {
    this.reachable();
    return this.jobs.get(jobId)?.state === 'FINISHED' ? `file:/savepoints/${jobId}` : undefined;
  }

  async cancel(jobId: string): Promise<void> {
    this.reachable();
    const job = this.jobs.get(jobId);
    if (job) job.state = 'CANCELED';
  }

  async status(jobId: string): Promise<JobStatus | undefined> {
    this.reachable();
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    return {
      jobId,
      name: job.name ?? `job ${jobId}`,
      state: job.state,
      startTime: 0,
      durationMs: 0,
      vertices: [],
      ...(job.failure ? { failure: job.failure } : {}),
    };
  }

  async restarts(jobId: string): Promise<number> {
    this.reachable();
    return this.jobs.get(jobId)?.restarts ?? 0;
  }
}
