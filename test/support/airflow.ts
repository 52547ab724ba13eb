import { spawn } from 'child_process';
import { FstoreConfig } from '@fstore/config';
import { airflowCommandOptions, airflowToken, airflowVenv } from '../../apps/cli/src/stack/airflow';
import { StackContext } from '../../apps/cli/src/stack/component';

/** A DAG run as Airflow's REST API (/api/v2) shows it. */
export interface DagRun {
  dag_run_id: string;
  dag_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  data_interval_end: string | null;
  conf: Record<string, unknown> | null;
}

const TERMINAL = ['success', 'failed'];

/** Airflow's REST API as its admin user (the stack's FSTORE_AIRFLOW_ADMIN_PASSWORD). */
export class AirflowApi {
  private token?: string;

  constructor(private readonly config: FstoreConfig) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    this.token ??= await airflowToken(this.config);
    const res = await fetch(`${this.config.airflow.url}/api/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status >= 300) {
      throw new Error(
        `${method} /api/v2${path} answered ${res.status}: ${JSON.stringify(res.body)}`,
      );
    }
    return res.body;
  }

  trigger(dagId: string, logicalDate: string, conf: object): Promise<DagRun> {
    return this.ok('POST', `/dags/${dagId}/dagRuns`, { logical_date: logicalDate, conf });
  }

  dagRun(dagId: string, runId: string): Promise<DagRun> {
    return this.ok('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`);
  }

  /** The DAG's runs whose logical date is in [from, to] (ISO). */
  async dagRuns(dagId: string, from: string, to: string): Promise<DagRun[]> {
    const q = new URLSearchParams({ logical_date_gte: from, logical_date_lte: to, limit: '100' });
    return (await this.ok<{ dag_runs: DagRun[] }>('GET', `/dags/${dagId}/dagRuns?${q}`)).dag_runs;
  }

  /** Waits until the run is success or failed (the scheduler, executor and triggerer run it). */
  async waitForRun(dagId: string, runId: string, timeoutMs: number): Promise<DagRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.dagRun(dagId, runId);
      if (TERMINAL.includes(run.state)) return run;
      if (Date.now() > deadline) throw new Error(`DAG run ${runId} still ${run.state}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** The whole log of one try of a task, as text. */
  async taskLog(dagId: string, runId: string, taskId: string, tryNumber = 1): Promise<string> {
    const path = `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}?full_content=true`;
    return JSON.stringify(await this.ok('GET', path));
  }

  async deleteRun(dagId: string, runId: string): Promise<void> {
    await this.call('DELETE', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`);
  }
}

/** Runs the stack's `airflow` CLI (metadata in the stack's PostgreSQL); its exit code and output. */
export function airflowCli(
  ctx: StackContext,
  args: string[],
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // As the stack's Airflow processes run (the service user when root): its logs are theirs.
    const child = spawn(airflowVenv(ctx).airflow, args, {
      ...airflowCommandOptions(ctx),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
