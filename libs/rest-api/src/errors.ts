import { ERRORS, ErrorEntry } from './error-registry';

/**
 * The error body every fstore REST API answers with — the original API's
 * {error_code, error_message, error_detail} (docs/legacy-api.md) — and the errors both servers
 * share. Each app adds its own domain errors beside these, each from an entry of the registry
 * (error-registry.ts), which gives its code and status.
 */
export interface ErrorDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class DomainError extends Error {
  readonly status: number;
  readonly code: number;

  constructor(
    entry: ErrorEntry,
    message: string = entry.message,
    readonly detail: ErrorDetail[] | null = null,
    /** Response headers that belong to the error (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = entry.status;
    this.code = entry.code;
  }
}

export const ValidationFailed = (detail: ErrorDetail[]) =>
  new DomainError(ERRORS.validation, ERRORS.validation.message, detail);
export const InvalidField = (loc: (string | number)[], msg: string) =>
  ValidationFailed([{ loc, msg, type: 'value_error' }]);
export const NotAuthenticated = (reason: string) =>
  new DomainError(ERRORS.notAuthenticated, `Not authenticated: ${reason}`);
/** The caller's role may not do this: the same words in both APIs. */
export const PermissionDenied = (role: string, needed: string) =>
  new DomainError(
    ERRORS.permissionDenied,
    `Permission denied: role ${role} may not do this (needs ${needed})`,
  );
/** Too many attempts: the client may try again after `retryAfterSeconds` (Retry-After). */
export const TooManyRequests = (message: string, retryAfterSeconds: number) =>
  new DomainError(ERRORS.tooManyRequests, message, null, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
export const Unhandled = () => new DomainError(ERRORS.unhandled);
/** A database (Redis Cluster, PostgreSQL, …) does not answer: 503, not a fault of ours. */
export const Unavailable = (what: string, reason: string) =>
  new DomainError(ERRORS.unavailable, `${what} unavailable: ${reason}`);
