import { Logger } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { ErrorFilter } from '@fstore/rest-api';
import { Conflict, mapControlError, toControlError } from './domain-errors';

/** The status and body the control plane's error filter answers with for `e`. */
function answer(e: unknown): { status: number; body: unknown } {
  const { status, body } = new ErrorFilter(mapControlError).answer(e);
  return { status, body };
}

const restart = () => {
  const e = new DatabaseError('terminating connection due to administrator command', 0, 'error');
  e.code = '57P01';
  return e;
};
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port: 5432,
  });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(() => Logger.overrideLogger(false));

describe('the control plane without PostgreSQL', () => {
  it('answers 503 (error_code 1400) with the standard body when a query meets a restart', () => {
    expect(answer(new QueryFailedError('SELECT 1', [], restart()))).toEqual({
      status: 503,
      body: {
        error_code: 1400,
        error_message:
          'PostgreSQL unavailable: terminating connection due to administrator command',
        error_detail: null,
      },
    });
  });

  it('answers 503 when the pool cannot connect (refused, starting up, connection ended)', () => {
    expect(answer(refused())).toEqual({
      status: 503,
      body: {
        error_code: 1400,
        error_message: 'A dependency unavailable: connect ECONNREFUSED 127.0.0.1:5432',
        error_detail: null,
      },
    });
    const startingUp = new DatabaseError('the database system is starting up', 0, 'error');
    startingUp.code = '57P03';
    expect(answer(startingUp).status).toBe(503);
    expect(answer(new Error('Connection terminated unexpectedly')).status).toBe(503);
  });

  it('keeps 500 for real faults and its own errors as they are', () => {
    const syntax = new DatabaseError('syntax error at or near "SELEC"', 0, 'error');
    syntax.code = '42601';
    expect(answer(new QueryFailedError('SELEC 1', [], syntax))).toEqual({
      status: 500,
      body: {
        error_code: 1999,
        error_message: 'Unhandled error',
        error_detail: null,
        correlation_id: expect.stringMatching(UUID),
      },
    });
    expect(answer(new TypeError('x is undefined')).status).toBe(500);
    expect(mapControlError(Conflict('taken'))).toBeUndefined();
    expect(answer(Conflict('taken'))).toMatchObject({ status: 409, body: { error_code: 1409 } });
  });

  it('audits a refused request with the status it was answered with', () => {
    expect(toControlError(refused())).toMatchObject({ status: 503, code: 1400 });
    expect(toControlError(new Error('x'))).toMatchObject({ status: 500, code: 1999 });
  });
});
