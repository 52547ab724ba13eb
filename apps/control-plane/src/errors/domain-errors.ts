/**
 * Every error the control plane answers with, in one place, with the feature server's body:
 * {error_code, error_message, error_detail}.
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
export const InvalidField = (loc: (string | number)[], msg: string) =>
  ValidationFailed([{ loc, msg, type: 'value_error' }]);
export const NotAuthenticated = (reason: string) =>
  new DomainError(401, 1200, `Not authenticated: ${reason}`);
export const PermissionDenied = (role: string, needed: string) =>
  new DomainError(403, 1201, `Permission denied: role ${role} may not do this (needs ${needed})`);
export const NotFound = (what: string, id: string) =>
  new DomainError(404, 1404, `${what} ${id} not found`);
export const Conflict = (message: string, detail: ErrorDetail[] | null = null) =>
  new DomainError(409, 1409, message, detail);
/** An action the deployment's current state does not allow (resume a running job, …). */
export const IllegalTransition = (action: string, target: string, state: string, why: string) =>
  new DomainError(409, 1410, `Cannot ${action} ${target}: it is ${state}`, [
    { loc: ['state'], msg: why, type: 'state_error.illegal_transition' },
  ]);
export const OperationInProgress = (target: string, operationId: string) =>
  new DomainError(409, 1411, `${target} has an operation in progress (${operationId})`, [
    { loc: ['operation_id'], msg: operationId, type: 'state_error.operation_in_progress' },
  ]);
export const IdempotencyKeyReused = (key: string) =>
  new DomainError(409, 1412, `Idempotency-Key ${key} was already used for a different request`);
export const Unavailable = (what: string, reason: string) =>
  new DomainError(503, 1400, `${what} unavailable: ${reason}`);
export const Unhandled = () => new DomainError(500, 1999, 'Unhandled error');
