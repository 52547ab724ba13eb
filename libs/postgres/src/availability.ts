import { Pool, PoolConfig } from 'pg';

/**
 * PostgreSQL being down, restarting or refusing connections — as opposed to a fault of the
 * query or of our code. Both the node-postgres errors and TypeORM's wrappers of them
 * (QueryFailedError copies the driver error's fields and keeps it as `driverError`) are recognized.
 */

export type Unavailability = 'postgres' | 'network';

/** Socket-level failures: nothing answers, or the connection went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01 admin_shutdown
 * (a restart terminates the sessions), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting
 * up or shutting down), 53300 too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages node-postgres gives without a code when a connection ends or cannot be made. */
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
];

/** What an error says about PostgreSQL's availability, for one error object (not its causes). */
function kindOf(e: object): Unavailability | undefined {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'postgres';
    if (NETWORK_CODES.has(code)) return 'network';
  }
  const message = (e as { message?: unknown }).message;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) {
    return 'postgres';
  }
  return undefined;
}

/**
 * Why `e` (or an error it wraps) means the database cannot be used right now: `postgres` when
 * PostgreSQL itself said so (a SQLSTATE, a node-postgres connection message), `network` when only
 * a socket failed (refused, reset, timed out: PostgreSQL for a pool's query, but the same codes
 * come from any TCP client); undefined for every other error (a bad query, a bug).
 */
export function unavailability(e: unknown, depth = 0): Unavailability | undefined {
  if (typeof e !== 'object' || e === null || depth > 4) return undefined;
  const own = kindOf(e);
  if (own === 'postgres') return own;
  const { driverError, cause, errors } = e as {
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  // TypeORM's QueryFailedError keeps the driver's error; Node's AggregateError (a connection
  // attempt to several addresses) keeps one error per address.
  const inner = [driverError, cause, ...(Array.isArray(errors) ? errors : [])].map((x) =>
    unavailability(x, depth + 1),
  );
  if (inner.includes('postgres')) return 'postgres';
  return own ?? inner.find((k) => k !== undefined);
}

/** True when `e` says the database cannot be reached or is restarting (see unavailability). */
export const isPostgresUnavailable = (e: unknown): boolean => unavailability(e) !== undefined;

/** How long a pool waits for a new connection before failing the query (a dead host must not hang). */
export const CONNECT_TIMEOUT_MS = 5000;

export type PoolErrorLog = (message: string, error: Error) => void;

/**
 * The handler every pool needs for its `error` event: an idle connection that PostgreSQL closed
 * (a restart, a terminated backend) is reported on the pool, and without a listener Node turns
 * that event into an uncaught exception that ends the process. The pool has already dropped the
 * connection; the next query opens a new one.
 */
export function poolErrorHandler(name: string, log: PoolErrorLog): (error: Error) => void {
  return (error: Error) =>
    log(
      `${name}: PostgreSQL closed an idle connection (${error.message}); it is replaced on use`,
      error,
    );
}

/** A node-postgres pool that survives PostgreSQL going away (see poolErrorHandler). */
export function createPool(config: PoolConfig, name: string, log: PoolErrorLog): Pool {
  const pool = new Pool({ connectionTimeoutMillis: CONNECT_TIMEOUT_MS, ...config });
  pool.on('error', poolErrorHandler(name, log));
  return pool;
}
