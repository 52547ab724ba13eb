import { DomainError } from '@fstore/rest-api';

/** The feature server's own errors; the body and the shared ones are in @fstore/rest-api. */
export const BatchTooLarge = (size: number, max: number) =>
  new DomainError(413, 1002, `Batch of ${size} entities exceeds the limit of ${max}`, [
    { loc: ['body', 'ids'], msg: `at most ${max} ids per request`, type: 'value_error.too_large' },
  ]);
export const PermissionDenied = (role: string) =>
  new DomainError(403, 1201, `Permission denied for role ${role}`);
export const StoreUnavailable = (reason: string) =>
  new DomainError(503, 1400, `Feature store unavailable: ${reason}`);
export const EntityNotFound = (entity: string, id: string) =>
  new DomainError(404, 2000, `No feature value for ${entity} ${id}`);
export const FeatureNotFound = (code: number, feature: string, id: string) =>
  new DomainError(404, code, `${feature} not found for ${id}`);
