import {
  FlinkProtocolError,
  FlinkSessionNotFoundError,
  FlinkSqlError,
  FlinkTimeoutError,
} from './errors';
import { ClientTlsSource, FlinkHttp, HttpOptions, HttpStatusError } from './http';
import { rootCause } from './jobmanager.client';

export type OperationStatus =
  'INITIALIZED' | 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELED' | 'CLOSED' | 'ERROR' | 'TIMEOUT';

export interface GatewayInfo {
  productName: string;
  version: string;
}

export interface ResultColumn {
  name: string;
  logicalType: { type: string; nullable: boolean };
}

interface ResultPage {
  resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS';
  isQueryResult?: boolean;
  jobID?: string;
  resultKind?: 'SUCCESS' | 'SUCCESS_WITH_CONTENT';
  results?: {
    columns?: ResultColumn[];
    rowFormat?: string;
    data?: { kind: string; fields: unknown[] }[];
  };
  nextResultUri?: string;
}

/** What one statement returned: the job it started (INSERT, STATEMENT SET) and/or rows. */
export interface StatementResult {
  jobId?: string;
  columns: string[];
  rows: unknown[][];
}

export interface ExecuteOptions {
  /** Per-statement configuration (e.g. execution.savepoint.path). */
  executionConfig?: Record<string, string>;
  /** How long to wait for the statement's result. */
  timeoutMs?: number;
  /** Rows to read at most (a streaming SELECT never ends). */
  maxRows?: number;
  /** For error messages. */
  line?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SESSION_MISSING = /Session '([^']+)' does not exist/;

/**
 * The Flink SQL Gateway REST API (v3): sessions, statements, operations, results. Errors are
 * typed: FlinkSqlError (the statement failed; `reason` is the root cause Flink gave),
 * FlinkSessionNotFoundError (closed/expired session), FlinkUnavailableError (no answer).
 */
export class SqlGatewayClient {
  private readonly http: FlinkHttp;

  constructor(baseUrl: string, opts?: HttpOptions, tls?: ClientTlsSource) {
    this.http = new FlinkHttp(baseUrl, opts, tls);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  info(): Promise<GatewayInfo> {
    return this.http.get<GatewayInfo>('/v3/info');
  }

  async openSession(
    opts: { name?: string; properties?: Record<string, string> } = {},
  ): Promise<string> {
    const res = await this.http.post<{ sessionHandle: string }>('/v3/sessions', {
      sessionName: opts.name,
      properties: opts.properties ?? {},
    });
    if (!res?.sessionHandle) throw new FlinkProtocolError('SQL Gateway returned no session handle');
    return res.sessionHandle;
  }

  /** Closes the session (and the operations in it); a session already gone is fine. */
  async closeSession(session: string): Promise<void> {
    try {
      await this.call(session, () => this.http.delete(`/v3/sessions/${session}`));
    } catch (e) {
      if (!(e instanceof FlinkSessionNotFoundError)) throw e;
    }
  }

  async heartbeat(session: string): Promise<void> {
    await this.call(session, () => this.http.post(`/v3/sessions/${session}/heartbeat`));
  }

  /** Submits one statement; returns its operation handle. */
  async submit(
    session: string,
    statement: string,
    executionConfig?: Record<string, string>,
  ): Promise<string> {
    const body: Record<string, unknown> = { statement };
    if (executionConfig) body.executionConfig = executionConfig;
    const res = await this.call(session, () =>
      this.http.post<{ operationHandle: string }>(`/v3/sessions/${session}/statements`, body),
    );
    return res.operationHandle;
  }

  async status(session: string, operation: string): Promise<OperationStatus> {
    const res = await this.call(session, () =>
      this.http.get<{ status: OperationStatus }>(
        `/v3/sessions/${session}/operations/${operation}/status`,
      ),
    );
    return res.status;
  }

  async closeOperation(session: string, operation: string): Promise<void> {
    await this.call(session, () =>
      this.http.delete(`/v3/sessions/${session}/operations/${operation}/close`),
    );
  }

  async cancelOperation(session: string, operation: string): Promise<void> {
    await this.call(session, () =>
      this.http.post(`/v3/sessions/${session}/operations/${operation}/cancel`),
    );
  }

  /**
   * Runs one statement to its result: waits while the result is not ready, follows the pages to
   * the end (or `maxRows`), and closes the operation. An INSERT / STATEMENT SET returns the id of
   * the job it submitted as soon as Flink accepted it.
   */
  async execute(
    session: string,
    statement: string,
    opts: ExecuteOptions = {},
  ): Promise<StatementResult> {
    const operation = await this.submit(session, statement, opts.executionConfig);
    const deadline = Date.now() + (opts.timeoutMs ?? 120000);
    const maxRows = opts.maxRows ?? 1000;
    const out: StatementResult = { columns: [], rows: [] };
    let uri: string | undefined =
      `/v3/sessions/${session}/operations/${operation}/result/0?rowFormat=JSON`;
    let wait = 50;
    try {
      while (uri) {
        if (Date.now() > deadline) {
          await this.cancelOperation(session, operation).catch(() => undefined);
          throw new FlinkTimeoutError(
            `statement did not finish within ${(opts.timeoutMs ?? 120000) / 1000}s: ${statement.slice(0, 200)}`,
          );
        }
        const page: ResultPage = await this.fetch(session, uri, statement, opts.line);
        if (page.resultType === 'NOT_READY') {
          await sleep(wait);
          wait = Math.min(wait * 2, 500);
          continue;
        }
        wait = 50;
        if (page.jobID) out.jobId = page.jobID;
        if (page.results?.columns?.length) out.columns = page.results.columns.map((c) => c.name);
        for (const row of page.results?.data ?? []) out.rows.push(row.fields);
        if (page.resultType === 'EOS' || out.rows.length >= maxRows) break;
        uri = page.nextResultUri;
      }
    } finally {
      await this.closeOperation(session, operation).catch(() => undefined);
    }
    return out;
  }

  private async fetch(
    session: string,
    uri: string,
    statement: string,
    line?: number,
  ): Promise<ResultPage> {
    try {
      return await this.http.get<ResultPage>(uri);
    } catch (e) {
      if (!(e instanceof HttpStatusError)) throw e;
      const text = errorText(e.body);
      if (SESSION_MISSING.test(text)) throw new FlinkSessionNotFoundError(session);
      throw new FlinkSqlError(rootCause(text), { sql: statement, line }, text);
    }
  }

  /** Maps "session does not exist" to its typed error; other failures are protocol errors. */
  private async call<T>(session: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof HttpStatusError)) throw e;
      const text = errorText(e.body);
      if (SESSION_MISSING.test(text)) throw new FlinkSessionNotFoundError(session);
      throw new FlinkProtocolError(`${e.message}: ${rootCause(text)}`);
    }
  }
}

function errorText(body: unknown): string {
  const errors = (body as { errors?: unknown })?.errors;
  if (Array.isArray(errors)) return errors.map(String).join('\n');
  return typeof body === 'string' ? body : JSON.stringify(body);
}
