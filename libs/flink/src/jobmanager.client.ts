import {
  FlinkJobError,
  FlinkJobNotFoundError,
  FlinkProtocolError,
  FlinkTimeoutError,
} from './errors';
import { ClientTlsSource, FlinkHttp, HttpOptions, HttpStatusError } from './http';

/** Job states of the JobManager REST API (JobStatus). */
export type JobState =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING'
  | 'SUSPENDED'
  | 'RECONCILING';

export const TERMINAL_STATES: readonly JobState[] = ['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED'];

export interface ClusterOverview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
  'flink-version': string;
}

/** One TaskManager registered with the JobManager (`/taskmanagers`). */
export interface TaskManagerInfo {
  id: string;
  slotsNumber: number;
  freeSlots: number;
}

export interface JobSummary {
  jid: string;
  name: string;
  state: JobState;
  'start-time': number;
  'end-time': number;
  duration: number;
}

export interface JobVertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
  metrics: {
    'read-records': number;
    'write-records': number;
    'read-records-complete': boolean;
    'write-records-complete': boolean;
  };
}

export interface JobDetail extends JobSummary {
  vertices: JobVertex[];
}

export interface JobExceptions {
  rootException?: string;
  exceptionHistory?: {
    entries: { exceptionName: string; stacktrace: string; timestamp: number }[];
  };
}

export interface CheckpointStats {
  counts: { completed: number; failed: number; in_progress: number };
  latest: {
    completed: {
      id: number;
      external_path: string;
      latest_ack_timestamp: number;
      /** Bytes of the job's whole state in the checkpoint (incremental ones included). */
      state_size?: number;
    } | null;
    savepoint: { id: number; external_path: string } | null;
  };
}

interface AsyncOperation {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  operation?: { location?: string; 'failure-cause'?: { class: string; 'stack-trace': string } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Flink JobManager REST API (cluster overview, jobs, savepoints). */
export class JobManagerClient {
  private readonly http: FlinkHttp;

  constructor(baseUrl: string, opts?: HttpOptions, tls?: ClientTlsSource) {
    this.http = new FlinkHttp(baseUrl, opts, tls);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  overview(): Promise<ClusterOverview> {
    return this.http.get<ClusterOverview>('/overview');
  }

  async taskManagers(): Promise<TaskManagerInfo[]> {
    const res = await this.http.get<{ taskmanagers: TaskManagerInfo[] }>('/taskmanagers');
    return res.taskmanagers;
  }

  async jobs(): Promise<JobSummary[]> {
    const res = await this.http.get<{ jobs: JobSummary[] }>('/jobs/overview');
    return res.jobs;
  }

  job(jobId: string): Promise<JobDetail> {
    return this.onJob(jobId, () => this.http.get<JobDetail>(`/jobs/${jobId}`));
  }

  exceptions(jobId: string): Promise<JobExceptions> {
    return this.onJob(jobId, () => this.http.get<JobExceptions>(`/jobs/${jobId}/exceptions`));
  }

  checkpoints(jobId: string): Promise<CheckpointStats> {
    return this.onJob(jobId, () => this.http.get<CheckpointStats>(`/jobs/${jobId}/checkpoints`));
  }

  /** Cancels the job (no savepoint); returns at once, the job goes CANCELLING → CANCELED. */
  async cancel(jobId: string): Promise<void> {
    await this.onJob(jobId, () => this.http.patch(`/jobs/${jobId}?mode=cancel`));
  }

  /**
   * Stops the job with a savepoint (graceful: sources stop, sinks flush, the job FINISHES) and
   * returns the savepoint's location. `targetDirectory` defaults to the cluster's
   * execution.checkpointing.savepoint-dir.
   */
  async stopWithSavepoint(
    jobId: string,
    opts: { targetDirectory?: string; drain?: boolean; timeoutMs?: number } = {},
  ): Promise<string> {
    const body: Record<string, unknown> = { drain: opts.drain ?? false };
    if (opts.targetDirectory) body.targetDirectory = opts.targetDirectory;
    const { 'request-id': requestId } = await this.onJob(jobId, () =>
      this.http.post<{ 'request-id': string }>(`/jobs/${jobId}/stop`, body),
    );
    const deadline = Date.now() + (opts.timeoutMs ?? 120000);
    while (Date.now() < deadline) {
      const op = await this.http.get<AsyncOperation>(`/jobs/${jobId}/savepoints/${requestId}`);
      if (op.status.id === 'COMPLETED') {
        const location = op.operation?.location;
        if (location) return location;
        const cause = op.operation?.['failure-cause'];
        throw new FlinkJobError(
          jobId,
          `stop with savepoint failed: ${cause ? rootCause(cause['stack-trace']) : 'no location returned'}`,
        );
      }
      await sleep(250);
    }
    throw new FlinkTimeoutError(`stop with savepoint of job ${jobId} did not complete in time`);
  }

  /** Polls until the job is in one of `states`; fails early if it ends in another state. */
  async waitForState(
    jobId: string,
    states: readonly JobState[],
    timeoutMs = 60000,
  ): Promise<JobState> {
    const deadline = Date.now() + timeoutMs;
    let state: JobState | undefined;
    while (Date.now() < deadline) {
      state = (await this.job(jobId)).state;
      if (states.includes(state)) return state;
      if (TERMINAL_STATES.includes(state)) {
        const ex = await this.exceptions(jobId).catch(() => undefined);
        const why = ex?.rootException ? `: ${rootCause(ex.rootException)}` : '';
        throw new FlinkJobError(
          jobId,
          `ended ${state} while waiting for ${states.join('/')}${why}`,
        );
      }
      await sleep(250);
    }
    throw new FlinkTimeoutError(
      `job ${jobId} is ${state ?? 'unknown'}, not ${states.join('/')}, after ${timeoutMs / 1000}s`,
    );
  }

  private async onJob<T>(jobId: string, call: () => Promise<T>): Promise<T> {
    if (!/^[0-9a-f]{32}$/.test(jobId)) throw new FlinkJobNotFoundError(jobId);
    try {
      return await call();
    } catch (e) {
      if (e instanceof HttpStatusError && e.status === 404) throw new FlinkJobNotFoundError(jobId);
      if (e instanceof HttpStatusError) {
        throw new FlinkProtocolError(`${e.message}: ${JSON.stringify(e.body).slice(0, 500)}`);
      }
      throw e;
    }
  }
}

/**
 * The most useful message of a Java stack trace: the deepest "Caused by:" that has a message (the
 * outer exceptions mostly wrap it), widened to the outermost cause that only adds context to it
 * ("SQL validation failed. From line 1, column 8 to …: Column 'x' not found"). Multi-line
 * messages (lists of available factories, …) are folded onto one line.
 */
export function rootCause(trace: string): string {
  const messages: string[] = [];
  const re =
    /(?:^|\n)\s*(?:Caused by: )?[\w$.]+(?:Exception|Error|Throwable)[\w$]*: ([^\n]*(?:\n(?!\s*at |\s*Caused by:|\s*\.\.\. \d+ more|End of exception)[^\n]*)*)/g;
  for (const m of trace.matchAll(re)) {
    const message = foldLines(m[1]);
    if (message) messages.push(message);
  }
  if (messages.length === 0) return trace.trim().split('\n')[0] ?? '';
  let best = messages.length - 1;
  while (best > 0 && messages[best - 1].endsWith(messages[best])) best--;
  const message = messages[best];
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}

function foldLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.reduce(
    (acc, line) => (acc === '' ? line : `${acc}${/[.:;]$/.test(acc) ? ' ' : ', '}${line}`),
    '',
  );
}
