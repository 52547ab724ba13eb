import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@fstore/rest-api';
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

const guard = new AuthGuard(new Reflector(), keys, audit, sessions);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: DomainError) => ({ status: e.status, code: e.code, message: e.message }),
  );

beforeEach(() => {
  usable = true;
});

describe('AuthGuard with a console session', () => {
  const { token, session } = sessions.open(KEY_ID, 'viewer', 60);
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
    const old = sessions.open(KEY_ID, 'viewer', 1, Date.now() - 5000).token;
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
