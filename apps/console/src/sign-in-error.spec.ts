import { describeSignInRefusal } from './sign-in-error';

describe('a refused sign-in on the page', () => {
  it('says a wrong credential once and names its field', () => {
    expect(
      describeSignInRefusal({
        errorMessage: 'Not authenticated: wrong e-mail or password',
        errorDetail: [{ loc: ['body', 'password'], msg: 'wrong e-mail or password' }],
      }),
    ).toEqual({ text: 'Not authenticated: wrong e-mail or password', fields: ['password'] });
  });

  it('adds what the detail says beside the message (a reader, a malformed e-mail)', () => {
    expect(
      describeSignInRefusal({
        errorMessage: 'Permission denied: role reader may not use the console (needs viewer)',
        errorDetail: [{ loc: ['body', 'email'], msg: 'a reader may only read features' }],
      }),
    ).toEqual({
      text: 'Permission denied: role reader may not use the console (needs viewer) (email: a reader may only read features)',
      fields: ['email'],
    });
  });

  it('has no field for an answer without detail (too many attempts)', () => {
    expect(
      describeSignInRefusal({
        errorMessage: 'Too many failed logins for this account; retry in 30 s',
        errorDetail: null,
      }),
    ).toEqual({ text: 'Too many failed logins for this account; retry in 30 s', fields: [] });
  });
});
