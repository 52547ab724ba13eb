import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { LoginThrottle, PasswordLogin, type Role } from '@fstore/auth';
import { DomainError } from '@fstore/rest-api';
import { ConsoleUsersService } from '../console/console-users.service';
import type { AuditService } from '../audit/audit.service';
import { ConsoleSessions, SESSION_COOKIE } from '../console/session';
import type { ApiKeysService, Principal } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { ROLES_KEY } from './auth.decorators';

// The guard's console-session path: the key behind the cookie (an in-memory stand-in for the
// keys table), the CSRF token on what is not a read, expiry.
const KEY_ID = '3f0c2a5e-1111-4222-8333-944455556666';
const viewer: Principal = { actor: 'key:alice', role: 'viewer', keyId: KEY_ID };
let usable = true;
const keys = {
  authenticate: async () => undefined,
  authenticateById: async (id: string) => (usable && id === KEY_ID ? viewer : undefined),
} as unknown as ApiKeysService;
const audited: unknown[] = [];
const audit = { record: async (e: unknown) => void audited.push(e) } as unknown as AuditService;
const sessions = new ConsoleSessions('a-console-secret-of-some-length', 3600);
// The users table: who exists now, with which role (a stand-in for auth_users).
const userRows = new Map<string, Role>();
const users = new ConsoleUsersService({
  login: new PasswordLogin(
    { authenticate: async () => undefined },
    new LoginThrottle({ accountMax: 5, addressMax: 5, windowMs: 1000, lockoutMs: 1000 }),
    () => undefined,
  ),
  find: async (email) => {
    const role = userRows.get(email);
    return role && { email, role };
  },
  close: async () => undefined,
});

function handler(roles?: string[]) {
  const h = () => undefined;
  if (roles) Reflect.defineMetadata(ROLES_KEY, roles, h);
  return h;
}

function context(method: string, headers: Record<string, string>, roles?: string[]) {
  const request: Record<string, unknown> = { method, headers, url: '/v1/x', params: {} };
  const ctx = {
    getHandler: () => handler(roles),
    getClass: () => class {},
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { ctx, request };
}

const guard = new AuthGuard(new Reflector(), keys, audit, sessions, users);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: DomainError) => ({ status: e.status, code: e.code, message: e.message }),
  );

beforeEach(() => {
  usable = true;
  userRows.clear();
});

describe('AuthGuard with a console session', () => {
  const { token, session } = sessions.open({ kind: 'api_key', keyId: KEY_ID }, 'viewer', 60);
  const cookie = `${SESSION_COOKIE}=${token}`;

  it('lets a read through with the cookie alone, with the key and the session on the request', async () => {
    const { ctx, request } = context('GET', { cookie });
    expect(await guard.canActivate(ctx)).toBe(true);
    expect(request.principal).toEqual(viewer);
    expect(request.consoleSession).toEqual(session);
  });

  it('refuses what is not a read without the session CSRF token (403), and checks the role with it', async () => {
    expect(await failure(guard.canActivate(context('POST', { cookie }).ctx))).toMatchObject({
      status: 403,
      code: 1201,
    });
    const wrong = context('POST', { cookie, 'x-csrf-token': 'nope' });
    expect(await failure(guard.canActivate(wrong.ctx))).toMatchObject({ status: 403 });
    const right = context('POST', { cookie, 'x-csrf-token': session.csrfToken }, ['operator']);
    expect(await failure(guard.canActivate(right.ctx))).toEqual({
      status: 403,
      code: 1201,
      message: 'Permission denied: role viewer may not do this (needs operator)',
    });
    const allowed = context('POST', { cookie, 'x-csrf-token': session.csrfToken });
    expect(await guard.canActivate(allowed.ctx)).toBe(true);
  });

  it('answers 401 for an expired or forged cookie, or when the key was revoked', async () => {
    const old = sessions.open(
      { kind: 'api_key', keyId: KEY_ID },
      'viewer',
      1,
      Date.now() - 5000,
    ).token;
    for (const value of [old, `${token}x`, 'garbage']) {
      const c = context('GET', { cookie: `${SESSION_COOKIE}=${value}` });
      expect(await failure(guard.canActivate(c.ctx))).toMatchObject({ status: 401, code: 1200 });
    }
    usable = false;
    expect(await failure(guard.canActivate(context('GET', { cookie }).ctx))).toMatchObject({
      status: 401,
      message: 'Not authenticated: the API key of the session was revoked or expired',
    });
  });

  it('uses an API key header before any cookie', async () => {
    const c = context('GET', { cookie, 'x-api-key': 'fsk_unknown' });
    expect(await failure(guard.canActivate(c.ctx))).toMatchObject({
      status: 401,
      message: 'Not authenticated: unknown or revoked API key',
    });
  });
});

describe("AuthGuard with a serving user's console session", () => {
  const EMAIL = 'ann@example.com';
  const { token, session } = sessions.open({ kind: 'user', email: EMAIL }, 'operator', 60);
  const cookie = `${SESSION_COOKIE}=${token}`;

  it("lets the user's requests through as user:<e-mail> with the role the users table says now", async () => {
    userRows.set(EMAIL, 'operator');
    const { ctx, request } = context('GET', { cookie });
    expect(await guard.canActivate(ctx)).toBe(true);
    expect(request.principal).toEqual({ actor: 'user:ann@example.com', role: 'operator' });
    expect(request.consoleSession).toEqual(session);
    // A role lowered since the sign-in counts at the next request (not the cookie's).
    userRows.set(EMAIL, 'viewer');
    const write = context('POST', { cookie, 'x-csrf-token': session.csrfToken }, ['operator']);
    expect(await failure(guard.canActivate(write.ctx))).toEqual({
      status: 403,
      code: 1201,
      message: 'Permission denied: role viewer may not do this (needs operator)',
    });
  });

  it('answers 401 once the user is removed, or has become a reader', async () => {
    const removed = context('GET', { cookie });
    expect(await failure(guard.canActivate(removed.ctx))).toEqual({
      status: 401,
      code: 1200,
      message:
        'Not authenticated: the user of the session was removed or may no longer use the console',
    });
    expect(removed.request.consoleSession).toBeUndefined();
    userRows.set(EMAIL, 'reader');
    expect(await failure(guard.canActivate(context('GET', { cookie }).ctx))).toMatchObject({
      status: 401,
      code: 1200,
    });
  });
});
