import { UsersUnavailableError } from '@fstore/auth';
import { unavailability } from '@fstore/postgres';
import {
  DomainError,
  ERRORS,
  toDomainError,
  PermissionDenied,
  Unavailable,
  type ErrorDetail,
} from '@fstore/rest-api';

/**
 * The control plane's errors, each from an entry of the registry (@fstore/rest-api), which also
 * holds the ones both APIs share (re-exported here for the control plane's modules).
 */
export { PermissionDenied, Unavailable };

/** A console-session request that is not a read without its session's CSRF token. */
export const CsrfTokenRefused = (header: string) =>
  new DomainError(
    ERRORS.permissionDenied,
    `Permission denied: a console request that changes something needs the session's ${header} header`,
    [
      {
        loc: ['header', header],
        msg: "missing or not the session's token",
        type: 'value_error.csrf',
      },
    ],
  );
/**
 * A console sign-in's credential refused (401): the detail names the field, with the same words
 * whether the key, the e-mail or the password was wrong.
 */
export const CredentialsRefused = (field: 'api_key' | 'password', reason: string) =>
  new DomainError(ERRORS.notAuthenticated, `Not authenticated: ${reason}`, [
    { loc: ['body', field], msg: reason, type: 'value_error.credentials' },
  ]);
/** A serving user whose role has no console role (a `reader`) signed in with the right password. */
export const RoleMayNotSignIn = (role: string) =>
  new DomainError(
    ERRORS.permissionDenied,
    `Permission denied: role ${role} may not use the console (needs viewer)`,
    [
      {
        loc: ['body', 'email'],
        msg: `a ${role} may only read features; the console needs a viewer, operator or admin`,
        type: 'value_error.role',
      },
    ],
  );
export const NotFound = (what: string, id: string) =>
  new DomainError(ERRORS.notFound, `${what} ${id} not found`);
/** A feature with no version in the registry (unknown, or never applied with `fstore apply`). */
export const NoFeatureVersions = (name: string) =>
  new DomainError(ERRORS.notFound, `feature ${name} has no applied versions`, [
    {
      loc: ['path', 'name'],
      msg: 'no version of this feature was applied with fstore apply',
      type: 'lookup_error.no_versions',
    },
  ]);
export const Conflict = (message: string, detail: ErrorDetail[] | null = null) =>
  new DomainError(ERRORS.exists, message, detail);
/** An action the deployment's current state does not allow (resume a running job, …). */
export const IllegalTransition = (action: string, target: string, state: string, why: string) =>
  new DomainError(ERRORS.illegalTransition, `Cannot ${action} ${target}: it is ${state}`, [
    { loc: ['state'], msg: why, type: 'state_error.illegal_transition' },
  ]);
export const OperationInProgress = (target: string, operationId: string) =>
  new DomainError(
    ERRORS.operationInProgress,
    `${target} has an operation in progress (${operationId})`,
    [{ loc: ['operation_id'], msg: operationId, type: 'state_error.operation_in_progress' }],
  );
export const IdempotencyKeyReused = (key: string) =>
  new DomainError(
    ERRORS.idempotencyKeyReused,
    `Idempotency-Key ${key} was already used for a different request`,
  );

/**
 * The control plane's errors that are not DomainErrors: PostgreSQL down or restarting (or another
 * dependency refusing the connection) is the service being unavailable — 503 with ERRORS.unavailable,
 * "connection error to the database" — not an unhandled fault (500). Given to the ErrorFilter;
 * undefined = the shared mapping.
 */
export function mapControlError(e: unknown): DomainError | undefined {
  if (e instanceof DomainError) return undefined;
  // The users table (the console's e-mail sign-in) not answering: its own words, 503.
  if (e instanceof UsersUnavailableError) return new DomainError(ERRORS.unavailable, e.message);
  const kind = unavailability(e);
  if (kind === undefined) return undefined;
  const reason = e instanceof Error ? e.message : String(e);
  // A bare socket error names its address (e.g. "connect ECONNREFUSED 127.0.0.1:5432").
  return Unavailable(kind === 'postgres' ? 'PostgreSQL' : 'A dependency', reason);
}

/** The error body a request ends with (for the audit log's outcome). */
export const toControlError = (e: unknown): DomainError => mapControlError(e) ?? toDomainError(e);

/**
 * A job parameter (a Flink SQL placeholder value) its placeholder's type refuses: a topic that
 * is not a topic name, a configuration-only placeholder (KAFKA_BROKERS, paths) given by a caller,
 * a name the script does not use. The detail names each parameter.
 */
export const InvalidParameter = (problems: { name: string; reason: string }[]) =>
  new DomainError(
    ERRORS.invalidParameter,
    `Job parameter refused: ${problems.map((p) => p.name).join(', ')}`,
    problems.map((p) => ({
      loc: ['body', 'parameters', p.name],
      msg: p.reason,
      type: 'value_error.parameter',
    })),
  );

/** A batch-run argument the job's declaration does not allow a caller to pass (or its value). */
export const InvalidArgument = (loc: (string | number)[], arg: string, reason: string) =>
  new DomainError(ERRORS.invalidArgument, `Run argument refused: ${arg}`, [
    { loc, msg: `${arg}: ${reason}`, type: 'value_error.argument' },
  ]);

/** The job's source does something a job may not (CTAS, ADD JAR, a SET key, a connector, …). */
export const ScriptRefused = (source: string, reason: string) =>
  new DomainError(ERRORS.scriptRefused, `Job script refused: ${source}`, [
    { loc: ['body', 'source'], msg: reason, type: 'value_error.script' },
  ]);
