import { featureByName } from '@fstore/contracts';
import { ErrorResponses, SHARED_ERRORS } from '@fstore/rest-api';

/** The feature server's error answers beside the shared ones (codes in errors/domain-errors.ts). */
export const SERVING_ERRORS = {
  ...SHARED_ERRORS,
  storeUnavailable: {
    503: { codes: [1400], description: 'Redis Cluster (or, for login, PostgreSQL) unavailable' },
  },
  entityNotFound: { 404: { codes: [2000], description: 'the entity has no value at all' } },
} satisfies Record<string, ErrorResponses>;

/** The 404 of an original-API route: the code its feature's definition gives. */
export function legacyNotFound(feature: string): ErrorResponses {
  const code = featureByName(feature)?.legacy?.notFoundCode;
  if (code === undefined) throw new Error(`${feature} has no endpoint of the original API`);
  return { 404: { codes: [code], description: `no value of ${feature} for the id` } };
}
