import { DomainError, ERRORS, featureNotFound, LegacyFeature, Unavailable } from '@fstore/rest-api';

/** The feature server's own errors; codes and statuses from the registry (@fstore/rest-api). */
export const BatchTooLarge = (size: number, max: number) =>
  new DomainError(ERRORS.tooLarge, `Batch of ${size} entities exceeds the limit of ${max}`, [
    { loc: ['body', 'ids'], msg: `at most ${max} ids per request`, type: 'value_error.too_large' },
  ]);
export const StoreUnavailable = (reason: string) => Unavailable('Feature store', reason);
export const EntityNotFound = (entity: string, id: string) =>
  new DomainError(ERRORS.entityNotFound, `No feature value for ${entity} ${id}`);
/** The original API's 404 of one feature: the code its definition gives. */
export const FeatureNotFound = (feature: LegacyFeature, id: string) =>
  new DomainError(featureNotFound(feature), `${feature.name} not found for ${id}`);
