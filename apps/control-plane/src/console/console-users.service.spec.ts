import { Logger } from '@nestjs/common';
import {
  hashPassword,
  LoginThrottle,
  PasswordLogin,
  verifyAgainstNoOne,
  verifyPassword,
  type Role,
  type User,
} from '@fstore/auth';
import { ErrorFilter } from '@fstore/rest-api';
import { mapControlError } from '../errors/domain-errors';
import { ConsoleUsersService } from './console-users.service';

beforeAll(() => Logger.overrideLogger(false));

// The console's e-mail sign-in over an in-memory users table with real scrypt hashes, through
// the feature server's PasswordLogin (its throttle: 2 failures per account here).
const PASSWORD = 'correct-horse-battery-7';
const rows = new Map<string, { hash: string; role: Role }>();
const table = {
  async authenticate(email: string, password: string): Promise<User | undefined> {
    const row = rows.get(email);
    if (!row) return verifyAgainstNoOne(password).then(() => undefined);
    return (await verifyPassword(password, row.hash)) ? { email, role: row.role } : undefined;
  },
};

function service() {
  const throttle = new LoginThrottle({
    accountMax: 2,
    addressMax: 10,
    windowMs: 60000,
    lockoutMs: 30000,
  });
  return new ConsoleUsersService({
    login: new PasswordLogin(table, throttle, () => undefined),
    find: async (email) => {
      const row = rows.get(email);
      return row && { email, role: row.role };
    },
    close: async () => undefined,
  });
}

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  const { status, body, headers } = new ErrorFilter(mapControlError).answer(e);
  return { status, body, headers };
}

beforeAll(async () => {
  const hash = await hashPassword(PASSWORD);
  for (const role of ['admin', 'operator', 'viewer', 'reader'] as const) {
    rows.set(`${role}@example.com`, { hash, role });
  }
});

describe('ConsoleUsersService', () => {
  it('signs a user in as user:<e-mail> with the console role of its role', async () => {
    const users = service();
    for (const role of ['admin', 'operator', 'viewer'] as const) {
      expect(await users.signIn(`${role}@example.com`, PASSWORD, '10.0.0.1')).toEqual({
        actor: `user:${role}@example.com`,
        role,
      });
    }
    expect(await users.signIn('Viewer@Example.com', PASSWORD, '10.0.0.1')).toEqual({
      actor: 'user:viewer@example.com',
      role: 'viewer',
    });
  });

  it('refuses a wrong password and an unknown e-mail alike: 401 naming the password', async () => {
    const users = service();
    const wrong = {
      status: 401,
      body: {
        error_code: 1200,
        error_message: 'Not authenticated: wrong e-mail or password',
        error_detail: [
          {
            loc: ['body', 'password'],
            msg: 'wrong e-mail or password',
            type: 'value_error.credentials',
          },
        ],
      },
    };
    expect(await refusal(users.signIn('viewer@example.com', 'nope', '10.0.0.1'))).toMatchObject(
      wrong,
    );
    expect(await refusal(users.signIn('nobody@example.com', PASSWORD, '10.0.0.1'))).toMatchObject(
      wrong,
    );
  });

  it("refuses a reader's right password 403 naming the e-mail", async () => {
    expect(await refusal(service().signIn('reader@example.com', PASSWORD, '10.0.0.1'))).toEqual({
      status: 403,
      headers: {},
      body: {
        error_code: 1201,
        error_message: 'Permission denied: role reader may not use the console (needs viewer)',
        error_detail: [
          {
            loc: ['body', 'email'],
            msg: 'a reader may only read features; the console needs a viewer, operator or admin',
            type: 'value_error.role',
          },
        ],
      },
    });
  });

  it("locks the account after the feature server's limit of failures: 429 with Retry-After", async () => {
    const users = service();
    await refusal(users.signIn('admin@example.com', 'nope-1', '10.0.0.1'));
    await refusal(users.signIn('admin@example.com', 'nope-2', '10.0.0.1'));
    expect(await refusal(users.signIn('admin@example.com', PASSWORD, '10.0.0.1'))).toEqual({
      status: 429,
      headers: { 'retry-after': '30' },
      body: {
        error_code: 1429,
        error_message: 'Too many failed logins for this account; retry in 30 s',
        error_detail: null,
      },
    });
  });

  it("a session's user: while it exists with a console role", async () => {
    const users = service();
    expect(await users.principalOf('operator@example.com')).toEqual({
      actor: 'user:operator@example.com',
      role: 'operator',
    });
    expect(await users.principalOf('reader@example.com')).toBeUndefined();
    expect(await users.principalOf('gone@example.com')).toBeUndefined();
  });
});
