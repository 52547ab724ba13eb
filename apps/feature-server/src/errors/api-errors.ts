import { featureByName } from '@fstore/contracts';
import {
  documented,
  ERRORS,
  ErrorResponses,
  featureNotFound,
  SHARED_ERRORS,
} from '@fstore/rest-api';

/** The feature server's error answers beside the shared ones (codes in the registry). */
export const SERVING_ERRORS = {
  ...SHARED_ERRORS,
  storeUnavailable: documented(
    [ERRORS.unavailable],
    'Redis Cluster (or, for login, PostgreSQL) unavailable',
  ),
  redisUnavailable: documented([ERRORS.unavailable], 'Redis Cluster not reachable'),
  entityNotFound: documented([ERRORS.entityNotFound]),
} satisfies Record<string, ErrorResponses>;

/** The 404 of an original-API route: the code its feature's definition gives. */
export function legacyNotFound(feature: string): ErrorResponses {
  const definition = featureByName(feature);
  if (!definition) throw new Error(`no feature ${feature}`);
  return documented([featureNotFound(definition)]);
}
