import { Client, DatabaseError, Pool } from 'pg';
import { QueryFailedError } from 'typeorm';
import {
  CONNECT_TIMEOUT_MS,
  createPool,
  isPostgresUnavailable,
  poolErrorHandler,
  unavailability,
} from './availability';

/** A server error as node-postgres builds it from PostgreSQL's ErrorResponse. */
function serverError(code: string, message: string): DatabaseError {
  const e = new DatabaseError(message, message.length, 'error');
  e.code = code;
  return e;
}

/** The error a real connection attempt to a closed port gives (nothing listens on port 1). */
async function refusedConnection(): Promise<unknown> {
  const client = new Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch (e) {
    return e;
  }
  throw new Error('port 1 accepted a connection');
}

describe('unavailability', () => {
  it('recognizes PostgreSQL restarting or refusing sessions by SQLSTATE', () => {
    const restart = serverError('57P01', 'terminating connection due to administrator command');
    expect(unavailability(restart)).toBe('postgres');
    expect(unavailability(serverError('57P03', 'the database system is starting up'))).toBe(
      'postgres',
    );
    expect(unavailability(serverError('57P02', 'crash shutdown'))).toBe('postgres');
    expect(unavailability(serverError('08006', 'connection failure'))).toBe('postgres');
    expect(unavailability(serverError('53300', 'too many clients already'))).toBe('postgres');
  });

  it("recognizes node-postgres's own connection messages", () => {
    expect(unavailability(new Error('Connection terminated unexpectedly'))).toBe('postgres');
    expect(unavailability(new Error('timeout exceeded when trying to connect'))).toBe('postgres');
    expect(
      unavailability(new Error('Client has encountered a connection error and is not queryable')),
    ).toBe('postgres');
  });

  it('sees through TypeORM (QueryFailedError), causes and AggregateErrors', () => {
    const restart = serverError('57P01', 'terminating connection due to administrator command');
    expect(unavailability(new QueryFailedError('SELECT 1', [], restart))).toBe('postgres');
    expect(unavailability(new Error('outer', { cause: restart }))).toBe('postgres');
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(unavailability(new AggregateError([refused, refused]))).toBe('network');
  });

  it('a refused connection is "network" (the same codes come from any TCP client)', async () => {
    const e = await refusedConnection();
    expect((e as { code?: string }).code).toBe('ECONNREFUSED');
    expect(unavailability(e)).toBe('network');
    expect(isPostgresUnavailable(e)).toBe(true);
  });

  it('does not take a bad query or a bug for an outage', () => {
    expect(unavailability(serverError('42P01', 'relation "x" does not exist'))).toBeUndefined();
    expect(unavailability(serverError('23505', 'duplicate key value'))).toBeUndefined();
    const badQuery = new QueryFailedError('SELEC 1', [], serverError('42601', 'syntax error'));
    expect(unavailability(badQuery)).toBeUndefined();
    expect(
      unavailability(new TypeError("Cannot read properties of undefined (reading 'x')")),
    ).toBeUndefined();
    expect(isPostgresUnavailable(new Error('x'))).toBe(false);
    expect(isPostgresUnavailable(undefined)).toBe(false);
    expect(isPostgresUnavailable('ECONNREFUSED')).toBe(false);
  });

  it('stops on a cycle of causes', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = a;
    expect(unavailability(a)).toBeUndefined();
  });
});

describe('pool error handling', () => {
  it('an error event on the pool (an idle connection closed by a restart) is logged, not thrown', async () => {
    const logged: string[] = [];
    const pool = createPool({ host: '127.0.0.1', port: 1 }, 'test pool', (m) => logged.push(m));
    try {
      expect(pool.listenerCount('error')).toBe(1);
      expect(pool.options.connectionTimeoutMillis).toBe(CONNECT_TIMEOUT_MS);
      const restart = serverError('57P01', 'terminating connection due to administrator command');
      expect(() => pool.emit('error', restart, undefined)).not.toThrow();
      expect(logged).toEqual([
        'test pool: PostgreSQL closed an idle connection (terminating connection due to ' +
          'administrator command); it is replaced on use',
      ]);
      // A query while nothing answers fails that query only, recognizably.
      const failure = await pool.query('SELECT 1').catch((e: unknown) => e);
      expect(isPostgresUnavailable(failure)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('without a listener the same event throws: what ended a feature-server instance', async () => {
    const bare = new Pool({ host: '127.0.0.1', port: 1 });
    try {
      expect(() => bare.emit('error', new Error('Connection terminated unexpectedly'))).toThrow(
        'Connection terminated unexpectedly',
      );
      bare.on(
        'error',
        poolErrorHandler('bare', () => undefined),
      );
      expect(() =>
        bare.emit('error', new Error('Connection terminated unexpectedly')),
      ).not.toThrow();
    } finally {
      await bare.end();
    }
  });
});
