/**
 * The HTTP layer both clients share: JSON over fetch with a deadline per attempt, retries only of
 * what is safe to send again, and every error answer as an ApiError carrying its error_code.
 */

/** One entry of an error body's error_detail. */
export interface ErrorDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The API answered with an error body ({error_code, error_message, error_detail}). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    /** The API's error code (1000 validation, 1200 not authenticated, …); undefined when the body was not an error body. */
    readonly errorCode: number | undefined,
    readonly errorMessage: string,
    readonly errorDetail: ErrorDetail[] | null,
    readonly method: string,
    readonly path: string,
    /** A 500's id, the one its server log line carries (to report the fault). */
    readonly correlationId?: string,
  ) {
    const detail = errorDetail?.length
      ? `: ${errorDetail.map((d) => `${d.loc.join('.')} ${d.msg}`).join('; ')}`
      : '';
    const id = correlationId ? ` [correlation id ${correlationId}]` : '';
    super(
      `${method} ${path} answered ${status} (${errorCode ?? '-'}) ${errorMessage}${detail}${id}`,
    );
  }
}

/** The server could not be reached or did not answer in time (after the retries allowed). */
export class ApiUnavailableError extends Error {
  override readonly name = 'ApiUnavailableError';
  constructor(
    readonly baseUrl: string,
    message: string,
  ) {
    super(`${baseUrl}: ${message}`);
  }
}

export interface ClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8000 (no trailing slash needed). */
  baseUrl: string;
  /** Deadline of one attempt, in milliseconds (default 10000). */
  timeoutMs?: number;
  /** Further attempts of a request that is safe to repeat (default 2). */
  retries?: number;
  /** First wait between attempts, doubling (default 200 ms). */
  backoffMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether sending the request twice has the effect of sending it once: GET is; a POST that only
   * reads (the feature server's batch) or carries an Idempotency-Key is too. Only such requests
   * are retried after a timeout, a reset connection or 502/503/504; any request is retried when
   * the connection was refused (it never reached the server).
   */
  idempotent?: boolean;
}

// Transport failures that mean the request never reached the server.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const RETRY_STATUSES = new Set([502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const causeCode = (e: unknown): string | undefined => {
  const cause = (e as { cause?: { code?: string } }).cause;
  return cause?.code;
};

export class JsonApi {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(
    options: ClientOptions,
    /** The Authorization header of a request (read at each attempt: tokens change). */
    private readonly authorization: () => string | undefined,
    /** Further headers of a request by its method (a browser session's CSRF token). */
    private readonly extraHeaders: (method: string) => Record<string, string> = () => ({}),
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 200;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const idempotent = options.idempotent ?? (method === 'GET' || method === 'HEAD');
    const url = this.baseUrl + path + queryString(options.query);
    for (let attempt = 0; ; attempt++) {
      let transient: string;
      let retryable: boolean;
      try {
        const res = await fetch(url, {
          method,
          headers: this.headers(method, options),
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T;
        const error = await toApiError(res, method, path);
        if (!(RETRY_STATUSES.has(res.status) && idempotent)) throw error;
        transient = error.message;
        retryable = true;
      } catch (e) {
        if (e instanceof ApiError) throw e;
        const code = causeCode(e);
        const timedOut = (e as Error).name === 'TimeoutError';
        transient = timedOut
          ? `no answer in ${this.timeoutMs} ms`
          : `${method} ${path}: ${code ?? (e as Error).message}`;
        retryable = (code !== undefined && NOT_SENT.has(code)) || idempotent;
        if (!retryable) {
          throw new ApiUnavailableError(
            this.baseUrl,
            `${transient} (not retried: the request may have been processed)`,
          );
        }
      }
      if (attempt >= this.retries) {
        throw new ApiUnavailableError(
          this.baseUrl,
          `${transient} (gave up after ${attempt + 1} attempts)`,
        );
      }
      await sleep(this.backoffMs * 2 ** attempt);
    }
  }

  private headers(method: string, options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.extraHeaders(method),
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const authorization = this.authorization();
    if (authorization) headers.authorization = authorization;
    return headers;
  }
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function toApiError(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (body && typeof body.error_code === 'number') {
    return new ApiError(
      res.status,
      body.error_code,
      String(body.error_message ?? ''),
      (body.error_detail as ErrorDetail[] | null) ?? null,
      method,
      path,
      typeof body.correlation_id === 'string' ? body.correlation_id : undefined,
    );
  }
  return new ApiError(
    res.status,
    undefined,
    text.slice(0, 200) || res.statusText,
    null,
    method,
    path,
  );
}
