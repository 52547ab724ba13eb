import { LoginThrottle } from './login-throttle';
import { LoginWarning, PasswordLogin, throttledMessage } from './password-login';
import { hashPassword, verifyAgainstNoOne, verifyPassword } from './passwords';
import { User, UsersUnavailableError } from './users.repository';

// The login both servers share, over an in-memory users table with real scrypt hashes.
const PASSWORD = 'correct-horse-battery-7';
let hash = '';
let databaseUp = true;
const users = {
  async authenticate(email: string, password: string): Promise<User | undefined> {
    if (!databaseUp) throw new UsersUnavailableError('connect ECONNREFUSED');
    if (email !== 'ann@example.com') return verifyAgainstNoOne(password).then(() => undefined);
    return (await verifyPassword(password, hash)) ? { email, role: 'operator' } : undefined;
  },
};

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

function setUp() {
  let now = 1_000_000;
  const throttle = new LoginThrottle(
    { accountMax: 2, addressMax: 10, windowMs: 60000, lockoutMs: 30000 },
    () => now,
  );
  const warnings: LoginWarning[] = [];
  const login = new PasswordLogin(users, throttle, (w) => warnings.push(w));
  return { login, warnings, advance: (ms: number) => (now += ms) };
}

describe('PasswordLogin', () => {
  beforeEach(() => (databaseUp = true));

  it('answers the user for the right password, in any case of the e-mail, with no warning', async () => {
    const { login, warnings } = setUp();
    expect(await login.check('Ann@Example.com', PASSWORD, '10.0.0.1')).toEqual({
      ok: true,
      user: { email: 'ann@example.com', role: 'operator' },
    });
    expect(warnings).toEqual([]);
  });

  it('answers the same for an unknown e-mail and a wrong password, and logs each (never the password)', async () => {
    const { login, warnings } = setUp();
    expect(await login.check('ann@example.com', 'wrong', '10.0.0.1')).toEqual({
      ok: false,
      reason: 'wrong',
    });
    expect(await login.check('bob@example.com', PASSWORD, '10.0.0.2')).toEqual({
      ok: false,
      reason: 'wrong',
    });
    expect(warnings).toEqual([
      { msg: 'login failed', email: 'ann@example.com', address: '10.0.0.1' },
      { msg: 'login failed', email: 'bob@example.com', address: '10.0.0.2' },
    ]);
  });

  it('locks the account after its failures, even for the right password, until the lockout ends', async () => {
    const { login, warnings, advance } = setUp();
    await login.check('ann@example.com', 'wrong-1', '10.0.0.1');
    await login.check('ann@example.com', 'wrong-2', '10.0.0.1');
    advance(1000);
    const locked = await login.check('ann@example.com', PASSWORD, '10.0.0.3');
    expect(locked).toEqual({
      ok: false,
      reason: 'throttled',
      scope: 'account',
      retryAfterMs: 29000,
    });
    expect(warnings[2]).toEqual({
      msg: 'login refused: too many failures',
      email: 'ann@example.com',
      address: '10.0.0.3',
      scope: 'account',
      retryAfterMs: 29000,
    });
    advance(29000);
    expect(await login.check('ann@example.com', PASSWORD, '10.0.0.3')).toMatchObject({ ok: true });
  });

  it('does not count an attempt the user database could not judge', async () => {
    const { login } = setUp();
    databaseUp = false;
    for (let i = 0; i < 3; i++) {
      await expect(login.check('ann@example.com', 'wrong', '10.0.0.1')).rejects.toBeInstanceOf(
        UsersUnavailableError,
      );
    }
    databaseUp = true;
    expect(await login.check('ann@example.com', PASSWORD, '10.0.0.1')).toMatchObject({ ok: true });
  });

  it('words a throttled login the same in both servers', () => {
    expect(throttledMessage({ scope: 'account', retryAfterMs: 29001 })).toEqual({
      message: 'Too many failed logins for this account; retry in 30 s',
      retryAfterSeconds: 30,
    });
    expect(throttledMessage({ scope: 'address', retryAfterMs: 1000 })).toEqual({
      message: 'Too many failed logins from this address; retry in 1 s',
      retryAfterSeconds: 1,
    });
  });
});
