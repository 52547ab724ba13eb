import { FstoreConfig } from '@fstore/config';
import {
  LivyBatchNotFoundError,
  LivyInvalidRequestError,
  LivyProtocolError,
  LivyRequestError,
  LivyTimeoutError,
} from './errors';
import { DEFAULT_HTTP, HttpOptions, HttpStatusError, LivyHttp } from './http';

/** Session states of Livy's REST API (SessionState); a batch uses a subset of them. */
export type BatchState =
  | 'not_started'
  | 'starting'
  | 'recovering'
  | 'idle'
  | 'running'
  | 'busy'
  | 'shutting_down'
  | 'error'
  | 'dead'
  | 'killed'
  | 'success';

/** A batch in one of these states will not change any more. */
export const TERMINAL_STATES: readonly BatchState[] = ['success', 'dead', 'killed', 'error'];

export function isTerminal(state: BatchState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** What to run: POST /batches. Paths are local to the Livy server and must be whitelisted. */
export interface BatchRequest {
  /** The application: a .py file (or a jar with `className`). */
  file: string;
  args?: string[];
  /** Spark configuration of this run (spark.* keys). */
  conf?: Record<string, string>;
  pyFiles?: string[];
  /** Shown in Livy's list and in Spark's application name. */
  name?: string;
  className?: string;
  driverMemory?: string;
  executorMemory?: string;
  /** Files and jars to ship with the run (local paths must be whitelisted too). */
  files?: string[];
  jars?: string[];
  queue?: string;
}

export interface BatchInfo {
  id: number;
  name: string | null;
  state: BatchState;
  appId: string | null;
  appInfo: Record<string, string | null>;
}

/** One page of a batch's log (Livy keeps the last livy.cache-log.size lines). */
export interface LogPage {
  /** Index of the first line of this page. */
  from: number;
  /** Lines Livy holds in total. */
  total: number;
  lines: string[];
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
}

const BATCH_STATES = new Set<string>([
  'not_started',
  'starting',
  'recovering',
  'idle',
  'running',
  'busy',
  'shutting_down',
  'error',
  'dead',
  'killed',
  'success',
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The only code that speaks Livy's batch REST API: submit, state, log paging, kill.
 * Livy's refusals surface as LivyRequestError with Livy's message; an unknown (killed or
 * forgotten) batch is LivyBatchNotFoundError; only transient failures are retried and a batch is
 * never submitted twice.
 */
export class LivyBatchesClient {
  private readonly http: LivyHttp;

  /** token: Livy's bearer token (FSTORE_LIVY_TOKEN); without it the stack's Livy answers 401. */
  constructor(
    readonly baseUrl: string,
    http: HttpOptions = DEFAULT_HTTP,
    token?: string,
  ) {
    this.http = new LivyHttp(baseUrl, http, token);
  }

  static fromConfig(config: FstoreConfig, http: Partial<HttpOptions> = {}): LivyBatchesClient {
    return new LivyBatchesClient(
      config.livy.url,
      { ...DEFAULT_HTTP, timeoutMs: config.livy.requestTimeoutMs, ...http },
      config.livy.token,
    );
  }

  /** Submits a batch; returns its id. */
  async submit(request: BatchRequest): Promise<number> {
    checkPaths(request);
    const body: Record<string, unknown> = { file: request.file };
    if (request.args?.length) body.args = request.args.map(String);
    if (request.conf && Object.keys(request.conf).length) body.conf = request.conf;
    for (const key of ['pyFiles', 'files', 'jars'] as const) {
      if (request[key]?.length) body[key] = request[key];
    }
    for (const key of ['name', 'className', 'driverMemory', 'executorMemory', 'queue'] as const) {
      if (request[key]) body[key] = request[key];
    }
    const info = await this.call('POST /batches', undefined, () =>
      this.http.post<unknown>('/batches', body),
    );
    return checkBatch(info).id;
  }

  /** The batches Livy currently knows (running, and finished within its retention period). */
  async list(): Promise<BatchInfo[]> {
    const res = await this.call('GET /batches', undefined, () =>
      this.http.get<{ sessions?: unknown }>('/batches?from=0&size=1000'),
    );
    if (!res || !Array.isArray(res.sessions)) {
      throw new LivyProtocolError(`unexpected batch list: ${JSON.stringify(res)}`);
    }
    return res.sessions.map(checkBatch);
  }

  async batch(id: number): Promise<BatchInfo> {
    const info = await this.call(`GET /batches/${id}`, id, () =>
      this.http.get<unknown>(`/batches/${id}`),
    );
    return checkBatch(info);
  }

  async state(id: number): Promise<BatchState> {
    const res = await this.call(`GET /batches/${id}/state`, id, () =>
      this.http.get<{ id?: number; state?: string }>(`/batches/${id}/state`),
    );
    return checkState(res?.state);
  }

  /**
   * One page of the batch's log: `size` lines from line `from` (Livy's default page is the last
   * 100 lines; a negative `from` counts from the end).
   */
  async log(id: number, page: { from?: number; size?: number } = {}): Promise<LogPage> {
    const q = new URLSearchParams();
    if (page.from !== undefined) q.set('from', String(page.from));
    if (page.size !== undefined) q.set('size', String(page.size));
    const path = `/batches/${id}/log${q.size ? `?${q}` : ''}`;
    const res = await this.call(`GET ${path}`, id, () =>
      this.http.get<{ from?: number; total?: number; log?: unknown }>(path),
    );
    if (!res || !Array.isArray(res.log) || typeof res.total !== 'number') {
      throw new LivyProtocolError(`unexpected log answer for batch ${id}: ${JSON.stringify(res)}`);
    }
    return { from: res.from ?? 0, total: res.total, lines: res.log.map(String) };
  }

  /** Every line Livy still holds for the batch, page by page. */
  async fullLog(id: number, pageSize = 500): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const page = await this.log(id, { from: lines.length, size: pageSize });
      lines.push(...page.lines);
      if (page.lines.length === 0 || lines.length >= page.total) return lines;
    }
  }

  /**
   * Kills the batch (its spark-submit and driver). Livy forgets a killed batch at once: asking
   * for it afterwards is LivyBatchNotFoundError.
   */
  async kill(id: number): Promise<void> {
    await this.call(`DELETE /batches/${id}`, id, () => this.http.delete<unknown>(`/batches/${id}`));
  }

  /** Polls until the batch is in a terminal state; returns that state. */
  async waitForCompletion(id: number, opts: WaitOptions): Promise<BatchState> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const state = await this.state(id);
      if (isTerminal(state)) return state;
      if (Date.now() > deadline) throw new LivyTimeoutError(id, state, opts.timeoutMs);
      await sleep(opts.pollMs ?? 1000);
    }
  }

  /** Polls until the batch reaches `wanted` (or ends); returns the state it reached. */
  async waitForState(id: number, wanted: BatchState, opts: WaitOptions): Promise<BatchState> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const state = await this.state(id);
      if (state === wanted || isTerminal(state)) return state;
      if (Date.now() > deadline) throw new LivyTimeoutError(id, state, opts.timeoutMs);
      await sleep(opts.pollMs ?? 500);
    }
  }

  /** Maps Livy's non-2xx answers to typed errors carrying Livy's own message. */
  private async call<T>(request: string, batchId: number | undefined, fn: () => Promise<T>) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof HttpStatusError)) throw e;
      const message = livyMessage(e.body);
      if (e.status === 404 && batchId !== undefined && /not found/i.test(message)) {
        throw new LivyBatchNotFoundError(batchId, message);
      }
      throw new LivyRequestError(e.status, message, request);
    }
  }
}

/** Livy's error body is `{"msg": "..."}`; anything else (a proxy's page) is shown as text. */
export function livyMessage(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { msg?: unknown }).msg === 'string') {
    return (body as { msg: string }).msg;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return JSON.stringify(body ?? null);
}

/**
 * Livy wants absolute paths or URIs. Livy 0.7.1 also leaves a phantom batch in `starting` behind
 * every submission it refuses, so what can be checked here is checked before sending.
 */
function checkPaths(request: BatchRequest): void {
  if (!request.file) throw new LivyInvalidRequestError('a batch needs a file');
  const paths = [request.file, ...(request.pyFiles ?? []), ...(request.files ?? [])];
  for (const path of [...paths, ...(request.jars ?? [])]) {
    if (!path.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      throw new LivyInvalidRequestError(`"${path}" is neither an absolute path nor a URI`);
    }
  }
  for (const [k, v] of Object.entries(request.conf ?? {})) {
    if (typeof v !== 'string') throw new LivyInvalidRequestError(`conf ${k} must be a string`);
  }
}

function checkState(state: unknown): BatchState {
  if (typeof state !== 'string' || !BATCH_STATES.has(state)) {
    throw new LivyProtocolError(`unknown Livy batch state ${JSON.stringify(state)}`);
  }
  return state as BatchState;
}

function checkBatch(info: unknown): BatchInfo {
  const b = info as Partial<BatchInfo> | null;
  if (!b || typeof b.id !== 'number') {
    throw new LivyProtocolError(`unexpected batch answer: ${JSON.stringify(info)}`);
  }
  return {
    id: b.id,
    name: b.name ?? null,
    state: checkState(b.state),
    appId: b.appId ?? null,
    appInfo: b.appInfo ?? {},
  };
}
