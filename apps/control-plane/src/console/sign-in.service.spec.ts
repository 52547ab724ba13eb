import { Logger } from '@nestjs/common';
import {
  hashPassword,
  LoginThrottle,
  PasswordLogin,
  verifyPassword,
  type Role,
} from '@fstore/auth';
import { ErrorFilter } from '@fstore/rest-api';
import { AuditService } from '../audit/audit.service';
import { ApiKeysService } from '../auth/api-keys.service';
import { InMemoryControlStore } from '../store/in-memory';
import { ConsoleUsersService } from './console-users.service';
import { SignInService } from './sign-in.service';

beforeAll(() => Logger.overrideLogger(false));

// Which credential a sign-in was, and what the session's cookie then names, on the in-memory
// keys and audit log and an in-memory users table with real scrypt hashes.
const PASSWORD = 'correct-horse-battery-7';
const rows = new Map<string, { hash: string; role: Role }>();

beforeAll(async () => {
  const hash = await hashPassword(PASSWORD);
  rows.set('ann@example.com', { hash, role: 'operator' });
  rows.set('rita@example.com', { hash, role: 'reader' });
});

function setUp() {
  const store = new InMemoryControlStore();
  const audit = new AuditService(store.audit);
  const keys = new ApiKeysService(store.apiKeys, audit);
  const table = {
    async authenticate(email: string, password: string) {
      const row = rows.get(email);
      return row && (await verifyPassword(password, row.hash))
        ? { email, role: row.role }
        : undefined;
    },
  };
  const throttle = new LoginThrottle({
    accountMax: 5,
    addressMax: 5,
    windowMs: 1000,
    lockoutMs: 1000,
  });
  const users = new ConsoleUsersService({
    login: new PasswordLogin(table, throttle, () => undefined),
    find: async () => undefined,
    close: async () => undefined,
  });
  return { store, keys, signIns: new SignInService(keys, users, audit) };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => {
      const { status, body } = new ErrorFilter().answer(e);
      return { status, body };
    },
  );

describe('SignInService', () => {
  it('an API key: its principal, and a session naming the key', async () => {
    const { keys, signIns } = setUp();
    const { id, key } = await keys.create('alice', 'viewer');
    expect(await signIns.check({ kind: 'api_key', apiKey: key }, '10.0.0.1')).toEqual({
      principal: { actor: 'key:alice', role: 'viewer', keyId: id },
      credential: { kind: 'api_key', keyId: id },
    });
    expect(
      await failure(signIns.check({ kind: 'api_key', apiKey: `${key}x` }, '10.0.0.1')),
    ).toEqual({
      status: 401,
      body: {
        error_code: 1200,
        error_message: 'Not authenticated: unknown, revoked or expired API key',
        error_detail: [
          {
            loc: ['body', 'api_key'],
            msg: 'unknown, revoked or expired API key',
            type: 'value_error.credentials',
          },
        ],
      },
    });
  });

  it("a user's e-mail and password: user:<e-mail> with its role, and a session naming the user", async () => {
    const { signIns } = setUp();
    const given = { kind: 'password', email: 'Ann@Example.com', password: PASSWORD } as const;
    expect(await signIns.check(given, '10.0.0.1')).toEqual({
      principal: { actor: 'user:ann@example.com', role: 'operator' },
      credential: { kind: 'user', email: 'ann@example.com' },
    });
  });

  it("audits a reader's refused sign-in, not a wrong password", async () => {
    const { store, signIns } = setUp();
    const reader = { kind: 'password', email: 'rita@example.com', password: PASSWORD } as const;
    expect(await failure(signIns.check(reader, '10.0.0.1'))).toMatchObject({
      status: 403,
      body: { error_code: 1201 },
    });
    expect(
      await failure(
        signIns.check({ ...reader, email: 'ann@example.com', password: 'x' }, '10.0.0.1'),
      ),
    ).toMatchObject({ status: 401 });
    expect(await store.audit.list({ target: 'console', limit: 10 })).toMatchObject([
      {
        actor: 'user:rita@example.com',
        action: 'console.sign_in',
        outcome: 'refused 403',
        detail: {
          signed_in_with: 'password',
          error_code: 1201,
          error_message: 'Permission denied: role reader may not use the console (needs viewer)',
        },
      },
    ]);
  });
});
