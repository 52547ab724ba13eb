/**
 * Every error the feature server answers with, in one place. The body is the original API's:
 * {error_code, error_message, error_detail} (seed/API.md), for every endpoint.
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
  ) {
    super(message);
  }
}

export const ValidationFailed = (detail: ErrorDetail[]) =>
  new DomainError(400, 1000, 'Request validation error', detail);
export const BatchTooLarge = (size: number, max: number) =>
  new DomainError(413, 1002, `Batch of ${size} entities exceeds the limit of ${max}`, [
    { loc: ['body', 'ids'], msg: `at most ${max} ids per request`, type: 'value_error.too_large' },
  ]);
export const NotAuthenticated = (reason: string) =>
  new DomainError(401, 1200, `Not authenticated: ${reason}`);
export const PermissionDenied = (role: string) =>
  new DomainError(403, 1201, `Permission denied for role ${role}`);
export const StoreUnavailable = (reason: string) =>
  new DomainError(503, 1400, `Feature store unavailable: ${reason}`);
export const EntityNotFound = (entity: string, id: string) =>
  new DomainError(404, 2000, `No feature value for ${entity} ${id}`);
export const FeatureNotFound = (code: number, feature: string, id: string) =>
  new DomainError(404, code, `${feature} not found for ${id}`);
export const Unhandled = () => new DomainError(500, 1999, 'Unhandled error');
