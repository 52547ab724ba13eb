import { ReplyError } from 'ioredis';

/** Socket errors: the store's address does not answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
/** ioredis's own errors when no node answers (names of its error classes, and its messages). */
const CLIENT_ERROR_NAMES = new Set([
  'ClusterAllFailedError',
  'MaxRetriesPerRequestError',
  'AbortError',
  'InterruptError',
]);
const CLIENT_MESSAGES = [
  'Command timed out',
  'Connection is closed.',
  'None of startup nodes is available',
  'Failed to refresh slots cache.',
  // RedisClusterOnlineStore's own, when the cluster does not become ready.
  'Redis Cluster is not reachable',
];
/**
 * The cluster client's error for a command it could not route in `maxRedirections` tries: each
 * try went to a node that was gone (a killed master, until the cluster fails over) or answered
 * a redirect or TRYAGAIN. Seen for a single-entity MGET with a master killed (the pipeline of
 * the same command reported the node's "Connection is closed." instead).
 */
const REDIRECTIONS_EXHAUSTED = /^Too many Cluster redirections\./;
/** Redis's replies while the cluster or a node cannot serve (not a refused command). */
const UNAVAILABLE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|BUSY)\b/;

/** ioredis exports redis-errors' ReplyError untyped. */
const isReplyError = (e: Error): boolean => e instanceof (ReplyError as new () => Error);

/**
 * Whether `e` says the online store (Redis Cluster) cannot be reached or cannot serve now —
 * refused or timed-out connections, a cluster down or still loading — as opposed to a fault of
 * the caller or of this code (a bad argument, a refused command, a bug). The first is a 503 to
 * a client; the second a 500 to investigate.
 */
export function isOnlineStoreUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (isReplyError(e)) return UNAVAILABLE_REPLIES.test(e.message);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (CLIENT_ERROR_NAMES.has(e.name)) return true;
  if (CLIENT_MESSAGES.includes(e.message) || REDIRECTIONS_EXHAUSTED.test(e.message)) return true;
  if (e instanceof AggregateError) return e.errors.some(isOnlineStoreUnavailable);
  return e.cause !== undefined && isOnlineStoreUnavailable(e.cause);
}
