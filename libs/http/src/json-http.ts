import axios, { AxiosError, AxiosInstance, Method } from 'axios';
import { Agent } from 'http';
import { Agent as HttpsAgent } from 'https';

export interface HttpOptions {
  /** Deadline of one request. */
  timeoutMs: number;
  /** Retries of a transient failure (connection refused/reset, 502/503/504). */
  retries: number;
  /** First backoff; doubles on each retry. */
  backoffMs: number;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 30000, retries: 4, backoffMs: 250 };

/** An HTTP answer that is not 2xx (after retries): the caller interprets the body. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly method: string,
    readonly url: string,
  ) {
    super(`${method} ${url} answered ${status}`);
  }
}

// The request surely never reached the server: safe to repeat even a non-idempotent request.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
// The request may have been processed: repeat only idempotent requests.
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface JsonHttpServer {
  /** The error for a server that cannot be reached (after retries): it names the server. */
  unavailable: (baseUrl: string, reason: string) => Error;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Keep connections open between requests (default true). */
  keepAlive?: boolean;
  /**
   * For an https server: the certificate(s) it must present and the client's own identity, or a
   * function that reads them, called at the first request (so that a client can be built where
   * the files do not exist, e.g. in unit tests that never send anything).
   */
  tls?: ClientTlsSource;
}

export type ClientTlsSource = ClientTls | (() => ClientTls | undefined);

/** PEM texts of a mutual TLS connection. */
export interface ClientTls {
  /** Certificate(s) the server's chain must lead to (instead of the public roots). */
  ca: string;
  /** The client's certificate and private key, presented when the server asks for one. */
  cert: string;
  key: string;
}

/**
 * A JSON client of one HTTP server. Retries with exponential backoff only what is transient: a
 * refused connection or 503 always; a reset, a timeout or 502/504 only for idempotent requests
 * (GET, DELETE), so that a submission is never sent twice. Any other status (400, 404, 500: the
 * caller's mistake or the server's answer) is returned at once as an HttpStatusError, for the
 * caller to interpret.
 */
export class RetryingJsonHttp {
  private readonly axios: AxiosInstance;
  private httpsAgent?: HttpsAgent;

  constructor(
    readonly baseUrl: string,
    private readonly opts: HttpOptions,
    private readonly server: JsonHttpServer,
  ) {
    this.axios = axios.create({
      baseURL: baseUrl,
      timeout: opts.timeoutMs,
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        ...server.headers,
      },
      validateStatus: () => true,
      responseType: 'json',
      httpAgent: new Agent({ keepAlive: server.keepAlive ?? true }),
    });
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const idempotent = method === 'GET' || method === 'DELETE';
    for (let attempt = 0; ; attempt++) {
      let transient: string;
      try {
        const res = await this.axios.request({
          method,
          url: path,
          data: body,
          httpsAgent: this.agentForHttps(),
        });
        if (res.status >= 200 && res.status < 300) return res.data as T;
        const retryable = res.status === 503 || (idempotent && [502, 504].includes(res.status));
        if (!retryable) throw new HttpStatusError(res.status, res.data, method, path);
        transient = `HTTP ${res.status}`;
      } catch (e) {
        if (!(e instanceof AxiosError)) throw e;
        const code = e.code ?? '';
        const retryable = NOT_SENT.has(code) || (idempotent && MAYBE_SENT.has(code));
        const reason = `${method} ${path}: ${code || e.message}`;
        if (!retryable) {
          const why = MAYBE_SENT.has(code)
            ? ' (not retried: the request may have been processed)'
            : '';
          throw this.server.unavailable(this.baseUrl, reason + why);
        }
        transient = reason;
      }
      if (attempt >= this.opts.retries) {
        throw this.server.unavailable(
          this.baseUrl,
          `${transient} (gave up after ${attempt + 1} attempts)`,
        );
      }
      await sleep(this.opts.backoffMs * 2 ** attempt);
    }
  }

  private agentForHttps(): HttpsAgent {
    if (!this.httpsAgent) {
      const { tls } = this.server;
      this.httpsAgent = new HttpsAgent({
        keepAlive: this.server.keepAlive ?? true,
        ...(typeof tls === 'function' ? tls() : tls),
      });
    }
    return this.httpsAgent;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
  patch<T>(path: string): Promise<T> {
    return this.request<T>('PATCH', path);
  }
}
