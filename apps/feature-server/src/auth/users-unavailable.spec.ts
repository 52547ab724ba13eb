import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { UsersRepository, UsersSchemaMissingError, UsersUnavailableError } from '@fstore/auth';
import { ErrorFilter } from '@fstore/rest-api';
import { usersUnavailable } from '../app.module';

/** The status and body the feature server's error filter answers with for `e`. */
function answer(e: unknown): { status: number; body: unknown } {
  const { status, body } = new ErrorFilter(usersUnavailable).answer(e);
  return { status, body };
}

beforeAll(() => Logger.overrideLogger(false));

describe('login without PostgreSQL', () => {
  it('answers 503 with error_code 1400 (the original API: connection error to the database)', async () => {
    // Nothing listens on port 1: the users table cannot be read.
    const pool = new Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
    pool.on('error', () => undefined);
    try {
      const users = new UsersRepository(pool);
      const failure = await users.authenticate('a@example.com', 'pw').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(UsersUnavailableError);
      await expect(users.ping()).rejects.toBeInstanceOf(UsersUnavailableError);
      expect(answer(failure)).toEqual({
        status: 503,
        body: {
          error_code: 1400,
          error_message: expect.stringMatching(/^user database unavailable: .*ECONNREFUSED/),
          error_detail: null,
        },
      });
    } finally {
      await pool.end();
    }
  });

  it('answers 503 naming the command to run when the migrations have not run (no users tables)', () => {
    expect(answer(new UsersSchemaMissingError())).toEqual({
      status: 503,
      body: {
        error_code: 1400,
        error_message:
          "user database unavailable: the users tables do not exist: the database's migrations " +
          'have not run (run `fstore migrate`, or start the control plane, which migrates at boot)',
        error_detail: null,
      },
    });
  });

  it('maps an unwrapped PostgreSQL outage the same way, and nothing else', () => {
    expect(answer(new Error('Connection terminated unexpectedly'))).toMatchObject({
      status: 503,
      body: { error_code: 1400 },
    });
    expect(answer(new Error('a bug'))).toMatchObject({ status: 500, body: { error_code: 1999 } });
  });
});
