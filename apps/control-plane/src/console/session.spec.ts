import { TokenSigner } from '@fstore/auth';
import {
  ConsoleSessions,
  cookieValue,
  credentialOfSubject,
  csrfMatches,
  sessionCookie,
  sessionSubject,
  SESSION_COOKIE,
  type SessionCredential,
} from './session';

const SECRET = 'a-console-secret-of-some-length';
const KEY_ID = '3f0c2a5e-1111-4222-8333-944455556666';
const KEY: SessionCredential = { kind: 'api_key', keyId: KEY_ID };
const USER: SessionCredential = { kind: 'user', email: 'ann@example.com' };

describe('console sessions', () => {
  const sessions = new ConsoleSessions(SECRET, 3600);

  it('verifies the session it opened: key, role, CSRF token, expiry', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const { token, session } = sessions.open(KEY, 'operator', 60, now);
    expect(session.expiresAt.toISOString()).toBe('2026-01-01T12:01:00.000Z');
    expect(sessions.verify(token, now + 59000)).toEqual(session);
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it("verifies a user's session: the user's e-mail, not a key, with its role", () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const { token, session } = sessions.open(USER, 'viewer', 60, now);
    expect(sessions.verify(token, now)).toEqual({
      credential: { kind: 'user', email: 'ann@example.com' },
      role: 'viewer',
      csrfToken: session.csrfToken,
      expiresAt: new Date('2026-01-01T12:01:00.000Z'),
    });
    const [, payload] = token.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({
      sub: 'user:ann@example.com',
      role: 'viewer',
      kind: 'access',
      sid: session.csrfToken,
      exp: now / 1000 + 60,
    });
  });

  it('names the credential in the subject, and reads back only the subjects it writes', () => {
    expect(sessionSubject(KEY)).toBe(`key:${KEY_ID}`);
    expect(sessionSubject(USER)).toBe('user:ann@example.com');
    expect(credentialOfSubject(`key:${KEY_ID}`)).toEqual(KEY);
    expect(credentialOfSubject('user:ann@example.com')).toEqual(USER);
    // A cookie of before (its subject a bare key id) or a token of the feature server (an e-mail).
    for (const other of [KEY_ID, 'ann@example.com', 'key:', 'user:', '']) {
      expect(credentialOfSubject(other)).toBeUndefined();
    }
  });

  it('refuses a validly signed cookie whose subject names no credential', () => {
    const signer = new TokenSigner(SECRET);
    const bare = signer.sign({ sub: KEY_ID, role: 'admin', kind: 'access', sid: 'csrf' }, 60);
    expect(sessions.verify(bare)).toBeUndefined();
  });

  it('refuses an expired, re-signed or altered cookie', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const { token } = sessions.open(KEY, 'viewer', 60, now);
    expect(sessions.verify(token, now + 60000)).toBeUndefined();
    const other = new ConsoleSessions('another-secret-of-some-length', 3600);
    expect(other.verify(token, now)).toBeUndefined();
    const [header, , mac] = token.split('.');
    const admin = Buffer.from(
      JSON.stringify({ sub: KEY_ID, role: 'admin', kind: 'access', sid: 'x', exp: 9e9 }),
    ).toString('base64url');
    expect(sessions.verify(`${header}.${admin}.${mac}`, now)).toBeUndefined();
    expect(sessions.verify('garbage', now)).toBeUndefined();
  });

  it('matches the CSRF header only when it is the session token', () => {
    const { session } = sessions.open(KEY, 'viewer', 60);
    expect(csrfMatches(session, session.csrfToken)).toBe(true);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(csrfMatches(session, session.csrfToken.slice(1))).toBe(false);
    expect(csrfMatches(session, 'x'.repeat(session.csrfToken.length))).toBe(false);
  });

  it('reads its cookie from a Cookie header and writes an HttpOnly SameSite=Strict one', () => {
    expect(cookieValue(`a=1; ${SESSION_COOKIE}=t.o.k; b=2`, SESSION_COOKIE)).toBe('t.o.k');
    expect(cookieValue('a=1', SESSION_COOKIE)).toBeUndefined();
    expect(cookieValue(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(sessionCookie('tok', 60, false)).toBe(
      `${SESSION_COOKIE}=tok; Path=/; Max-Age=60; HttpOnly; SameSite=Strict`,
    );
    expect(sessionCookie('', 0, true)).toBe(
      `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure`,
    );
  });
});
