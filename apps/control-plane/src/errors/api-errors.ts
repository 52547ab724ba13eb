import { ErrorResponses, SHARED_ERRORS } from '@fstore/rest-api';

/** The control plane's error answers beside the shared ones (codes in domain-errors.ts). */
export const CONTROL_ERRORS = {
  ...SHARED_ERRORS,
  forbidden: { 403: { codes: [1201], description: "the key's role may not do this" } },
  notFound: { 404: { codes: [1404], description: 'no such resource' } },
  exists: { 409: { codes: [1409], description: 'it exists already' } },
  stateConflict: {
    409: {
      codes: [1409, 1410, 1411, 1412],
      description:
        'a live deployment exists, the state does not allow it, an operation is in progress, or the Idempotency-Key was used for another request',
    },
  },
  idempotencyKeyReused: {
    409: { codes: [1412], description: 'the Idempotency-Key was used for another request' },
  },
  jobParameter: {
    400: { codes: [1420, 1422], description: 'a job parameter or the job script is refused' },
  },
  runArgument: { 400: { codes: [1421], description: 'a run argument is refused' } },
  unavailable: {
    503: { codes: [1400], description: 'PostgreSQL or another dependency unavailable' },
  },
} satisfies Record<string, ErrorResponses>;
