import { ErrorFilter } from '@fstore/rest-api';
import { consoleRoleOf, signInCredential } from './sign-in-rules';

/** The answer the control plane's error filter gives for what `work` throws. */
function answer(work: () => unknown): { status: number; body: unknown } {
  try {
    work();
  } catch (e) {
    const { status, body } = new ErrorFilter().answer(e);
    return { status, body };
  }
  throw new Error('expected a refusal');
}

const BOTH = 'give either api_key, or email and password, not both';

describe('which credential a sign-in gives', () => {
  it('an API key alone, or an e-mail with its password', () => {
    expect(signInCredential({ api_key: 'fsk_x' })).toEqual({ kind: 'api_key', apiKey: 'fsk_x' });
    expect(signInCredential({ email: 'ann@example.com', password: 'pw' })).toEqual({
      kind: 'password',
      email: 'ann@example.com',
      password: 'pw',
    });
  });

  it('refuses both kinds at once, naming the fields beside api_key', () => {
    expect(
      answer(() => signInCredential({ api_key: 'k', email: 'a@b.io', password: 'p' })),
    ).toEqual({
      status: 400,
      body: {
        error_code: 1000,
        error_message: 'Request validation error',
        error_detail: [
          { loc: ['body', 'email'], msg: BOTH, type: 'value_error.conflict' },
          { loc: ['body', 'password'], msg: BOTH, type: 'value_error.conflict' },
        ],
      },
    });
    expect(answer(() => signInCredential({ api_key: 'k', password: 'p' }))).toMatchObject({
      body: { error_detail: [{ loc: ['body', 'password'], msg: BOTH }] },
    });
  });

  it('refuses nothing at all, naming api_key; an e-mail without password (or the reverse), naming what is missing', () => {
    expect(answer(() => signInCredential({}))).toEqual({
      status: 400,
      body: {
        error_code: 1000,
        error_message: 'Request validation error',
        error_detail: [
          {
            loc: ['body', 'api_key'],
            msg: 'field required (or email and password)',
            type: 'value_error.missing',
          },
        ],
      },
    });
    expect(answer(() => signInCredential({ email: 'a@b.io' }))).toMatchObject({
      status: 400,
      body: {
        error_detail: [
          { loc: ['body', 'password'], msg: 'field required', type: 'value_error.missing' },
        ],
      },
    });
    expect(answer(() => signInCredential({ password: 'p' }))).toMatchObject({
      body: { error_detail: [{ loc: ['body', 'email'], msg: 'field required' }] },
    });
  });
});

describe("a serving user's console role", () => {
  it('is the same role for admin, operator and viewer; a reader has none', () => {
    expect(consoleRoleOf('admin')).toBe('admin');
    expect(consoleRoleOf('operator')).toBe('operator');
    expect(consoleRoleOf('viewer')).toBe('viewer');
    expect(consoleRoleOf('reader')).toBeUndefined();
  });
});
