import { FlinkJobError, FlinkSqlError, FlinkUnavailableError } from '@fstore/flink';
import { QueryFailedError } from 'typeorm';
import { isTransient, OperationFailed, TransientError } from './transient';

describe('isTransient', () => {
  it('retries what a later attempt may not meet', () => {
    expect(isTransient(new FlinkUnavailableError('http://x', 'connection refused'))).toBe(true);
    expect(isTransient(new TransientError('x'))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    // PostgreSQL restarting: the session is terminated, then new ones are refused for a while.
    const restart = new QueryFailedError(
      'SELECT 1',
      [],
      Object.assign(new Error('terminating'), { code: '57P01' }),
    );
    expect(isTransient(restart)).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('fails at once what will fail again', () => {
    expect(isTransient(new FlinkSqlError('Table not found'))).toBe(false);
    expect(isTransient(new FlinkJobError('j', 'is FAILED'))).toBe(false);
    expect(isTransient(new OperationFailed('x'))).toBe(false);
    expect(isTransient(new Error('x'))).toBe(false);
  });
});
