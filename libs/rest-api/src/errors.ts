/**
 * The error body every fstore REST API answers with — the original API's
 * {error_code, error_message, error_detail} (docs/legacy-api.md) — and the errors both servers
 * share.
 * Each app adds its own domain errors beside these.
 */
export interface ErrorDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly detail: ErrorDetail[] | null = null,
    /** Response headers that belong to the error (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const ValidationFailed = (detail: ErrorDetail[]) =>
  new DomainError(400, 1000, 'Request validation error', detail);
export const InvalidField = (loc: (string | number)[], msg: string) =>
  ValidationFailed([{ loc, msg, type: 'value_error' }]);
export const NotAuthenticated = (reason: string) =>
  new DomainError(401, 1200, `Not authenticated: ${reason}`);
/** Too many attempts: the client may try again after `retryAfterSeconds` (Retry-After). */
export const TooManyRequests = (message: string, retryAfterSeconds: number) =>
  new DomainError(429, 1429, message, null, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
export const Unhandled = () => new DomainError(500, 1999, 'Unhandled error');
