import { documented, ERRORS, ErrorResponses, SHARED_ERRORS } from '@fstore/rest-api';

/** The control plane's error answers beside the shared ones (codes in the registry). */
export const CONTROL_ERRORS = {
  ...SHARED_ERRORS,
  forbidden: documented([ERRORS.permissionDenied], "the key's role may not do this"),
  consoleRoleRefused: documented(
    [ERRORS.permissionDenied],
    "the user's role (reader) may not use the console",
  ),
  notFound: documented([ERRORS.notFound]),
  exists: documented([ERRORS.exists]),
  stateConflict: documented(
    [
      ERRORS.exists,
      ERRORS.illegalTransition,
      ERRORS.operationInProgress,
      ERRORS.idempotencyKeyReused,
    ],
    'a live deployment exists, the state does not allow it, an operation is in progress, or the Idempotency-Key was used for another request',
  ),
  idempotencyKeyReused: documented([ERRORS.idempotencyKeyReused]),
  jobParameter: documented(
    [ERRORS.invalidParameter, ERRORS.scriptRefused],
    'a job parameter or the job script is refused',
  ),
  runArgument: documented([ERRORS.invalidArgument]),
  unavailable: documented([ERRORS.unavailable], 'PostgreSQL or another dependency unavailable'),
  dependencyUnavailable: documented([ERRORS.unavailable], 'a dependency does not answer'),
} satisfies Record<string, ErrorResponses>;
