import { FlinkUnavailableError } from '@fstore/flink';
import { LivyUnavailableError } from '@fstore/livy';
import { isPostgresUnavailable } from '@fstore/postgres';

/** An error a later attempt may not meet (a service down or restarting), worth retrying. */
export class TransientError extends Error {}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

export function isTransient(e: unknown): boolean {
  if (
    e instanceof TransientError ||
    e instanceof FlinkUnavailableError ||
    e instanceof LivyUnavailableError
  ) {
    return true;
  }
  const code = (e as { code?: string } | undefined)?.code;
  // PostgreSQL restarting (terminated sessions, "starting up") is as passing as a refused socket.
  return (code !== undefined && NETWORK.has(code)) || isPostgresUnavailable(e);
}

/** The operation cannot succeed as asked (a job in the wrong state, a failing statement…). */
export class OperationFailed extends Error {}
