/**
 * Every error_code both REST APIs answer with: its HTTP status, default error_message and what it
 * means. The one place a code is defined — DomainError is built from an entry, the OpenAPI
 * documents list a route's codes from the entries (openapi.ts), and docs/errors.md is generated
 * from them (`fstore openapi`). error-registry.spec.ts fails when two entries share a code or a
 * source file spells a code outside this file.
 *
 * The original API's codes (docs/legacy-api.md: 1000, 1200, 1201, 1400, 1999, and the features'
 * 404 codes 2003–2010, which their definitions in features/ carry) are a compatibility contract:
 * their numbers and statuses never change.
 */
export interface ErrorEntry {
  readonly code: number;
  readonly status: number;
  /** The error_message when the thrower gives none (most add the specifics). */
  readonly message: string;
  /** When a client gets it: the docs table and the OpenAPI descriptions. */
  readonly meaning: string;
  /** Where the code comes from: the original API's contract, or fstore's own. */
  readonly origin: 'original API' | 'fstore';
}

const entry = (e: ErrorEntry): ErrorEntry => e;

export const ERRORS = {
  validation: entry({
    code: 1000,
    status: 400,
    message: 'Request validation error',
    meaning: 'a field is invalid; the detail names it',
    origin: 'original API',
  }),
  requestRefused: entry({
    code: 1001,
    status: 400,
    message: 'Request refused',
    meaning: 'the HTTP layer refused the request for a reason no other code names',
    origin: 'fstore',
  }),
  tooLarge: entry({
    code: 1002,
    status: 413,
    message: 'Request too large',
    meaning: 'the body, or the number of ids in a batch, is larger than the limit',
    origin: 'fstore',
  }),
  noSuchRoute: entry({
    code: 1004,
    status: 404,
    message: 'No such route',
    meaning: 'no route has this method and path',
    origin: 'fstore',
  }),
  notAuthenticated: entry({
    code: 1200,
    status: 401,
    message: 'Not authenticated',
    meaning: 'missing, unknown, expired or revoked credentials',
    origin: 'original API',
  }),
  permissionDenied: entry({
    code: 1201,
    status: 403,
    message: 'Permission denied',
    meaning:
      "the caller's role may not do this (or a console request that changes something lacks its session's CSRF token)",
    origin: 'original API',
  }),
  unavailable: entry({
    code: 1400,
    status: 503,
    message: 'Unavailable',
    meaning:
      'a database does not answer (connection refused, timed out, restarting): Redis Cluster, PostgreSQL or another dependency',
    origin: 'original API',
  }),
  notFound: entry({
    code: 1404,
    status: 404,
    message: 'Not found',
    meaning: 'no such resource (job, version, deployment, run, operation, feature, API key)',
    origin: 'fstore',
  }),
  exists: entry({
    code: 1409,
    status: 409,
    message: 'Conflict',
    meaning: 'it exists already (or a live deployment of it does)',
    origin: 'fstore',
  }),
  illegalTransition: entry({
    code: 1410,
    status: 409,
    message: 'Illegal transition',
    meaning: "the deployment's current state does not allow the action",
    origin: 'fstore',
  }),
  operationInProgress: entry({
    code: 1411,
    status: 409,
    message: 'Operation in progress',
    meaning: 'the target has an operation in progress',
    origin: 'fstore',
  }),
  idempotencyKeyReused: entry({
    code: 1412,
    status: 409,
    message: 'Idempotency-Key reused',
    meaning: 'the Idempotency-Key was used for another request',
    origin: 'fstore',
  }),
  invalidParameter: entry({
    code: 1420,
    status: 400,
    message: 'Job parameter refused',
    meaning:
      "a job parameter is refused (its placeholder's type, not the caller's to give, or a Kafka topic or group the Flink user is not granted)",
    origin: 'fstore',
  }),
  invalidArgument: entry({
    code: 1421,
    status: 400,
    message: 'Run argument refused',
    meaning: "a run argument the job's declaration does not allow",
    origin: 'fstore',
  }),
  scriptRefused: entry({
    code: 1422,
    status: 400,
    message: 'Job script refused',
    meaning: 'the job script does something a job may not',
    origin: 'fstore',
  }),
  unsupportedMediaType: entry({
    code: 1415,
    status: 415,
    message: 'Unsupported media type',
    meaning: 'the body is not application/json (the only type either API reads)',
    origin: 'fstore',
  }),
  tooManyRequests: entry({
    code: 1429,
    status: 429,
    message: 'Too many requests',
    meaning: 'too many attempts; wait for Retry-After seconds',
    origin: 'fstore',
  }),
  unhandled: entry({
    code: 1999,
    status: 500,
    message: 'Unhandled error',
    meaning: 'an unexpected fault: logged with the correlation_id the body carries',
    origin: 'original API',
  }),
  entityNotFound: entry({
    code: 2000,
    status: 404,
    message: 'No feature value',
    meaning: 'the entity has no value of any feature',
    origin: 'fstore',
  }),
} as const satisfies Record<string, ErrorEntry>;

export type ErrorName = keyof typeof ERRORS;

/** A feature with an endpoint of the original API (its definition carries its 404 code). */
export interface LegacyFeature {
  name: string;
  legacy?: { path: string; notFoundCode: number };
}

/**
 * The original API's 404 of one feature's endpoint: the code is the feature definition's (the
 * contract of docs/legacy-api.md), one per feature.
 */
export function featureNotFound(feature: LegacyFeature): ErrorEntry {
  if (!feature.legacy) throw new Error(`${feature.name} has no endpoint of the original API`);
  return {
    code: feature.legacy.notFoundCode,
    status: 404,
    message: `${feature.name} not found`,
    meaning: `no value of ${feature.name} for the id`,
    origin: 'original API',
  };
}

/** Every entry: the fixed ones, then one per feature with an endpoint of the original API. */
export function allErrors(features: readonly LegacyFeature[]): ErrorEntry[] {
  return [
    ...Object.values(ERRORS),
    ...features.filter((f) => f.legacy).map((f) => featureNotFound(f)),
  ].sort((a, b) => a.code - b.code);
}

/** Codes given to more than one entry (none: each code means one thing). */
export function duplicateCodes(entries: readonly ErrorEntry[]): number[] {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const e of entries) (seen.has(e.code) ? twice : seen).add(e.code);
  return [...twice].sort((a, b) => a - b);
}

/** docs/errors.md: the table of every code (generated by `fstore openapi`, checked by --check). */
export function errorsMarkdown(features: readonly LegacyFeature[]): string {
  const rows = allErrors(features).map(
    (e) => `| ${e.code} | ${e.status} | ${e.message} | ${e.meaning} | ${e.origin} |`,
  );
  return [
    '<!-- Generated by `fstore openapi` from libs/rest-api/src/error-registry.ts; do not edit. -->',
    '',
    '# Error codes',
    '',
    'Every error answer of both APIs is `{error_code, error_message, error_detail}` (a 500 adds',
    '`correlation_id`, the id its log line carries). Each code has one HTTP status and one',
    "meaning; the original API's codes ([legacy-api.md](legacy-api.md)) keep their numbers.",
    'Each route lists its codes in [openapi/](openapi/).',
    '',
    '| error_code | status | default error_message | meaning | from |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
