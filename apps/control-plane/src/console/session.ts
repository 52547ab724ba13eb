import { randomBytes, timingSafeEqual } from 'crypto';
import { InvalidTokenError, TokenSigner, type Role } from '@fstore/auth';

/** The console's session cookie: HttpOnly (no page script reads it), SameSite=Strict. */
export const SESSION_COOKIE = 'fstore_console';
/** What a cookie-authenticated mutation must repeat from the session (a forged form cannot). */
export const CSRF_HEADER = 'x-csrf-token';

/** Who opened a console session: a control-plane API key, or a serving user (auth_users). */
export type SessionCredential =
  { kind: 'api_key'; keyId: string } | { kind: 'user'; email: string };

/** The cookie's subject: `key:<key id>` or `user:<e-mail>` (which credential, and which one). */
const SUBJECT_PREFIX = { api_key: 'key:', user: 'user:' } as const;

export function sessionSubject(credential: SessionCredential): string {
  return credential.kind === 'api_key'
    ? `${SUBJECT_PREFIX.api_key}${credential.keyId}`
    : `${SUBJECT_PREFIX.user}${credential.email}`;
}

/** The credential a cookie's subject names; undefined for any other subject. */
export function credentialOfSubject(subject: string): SessionCredential | undefined {
  if (subject.startsWith(SUBJECT_PREFIX.api_key)) {
    const keyId = subject.slice(SUBJECT_PREFIX.api_key.length);
    return keyId ? { kind: 'api_key', keyId } : undefined;
  }
  if (subject.startsWith(SUBJECT_PREFIX.user)) {
    const email = subject.slice(SUBJECT_PREFIX.user.length);
    return email ? { kind: 'user', email } : undefined;
  }
  return undefined;
}

export interface ConsoleSession {
  /**
   * The API key or the user the session was opened with, re-checked on every request: revoking
   * the key, or removing the user, ends the session.
   */
  credential: SessionCredential;
  role: Role;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * Console sessions are signed cookies (HS256 over {credential, role, CSRF token, expiry}): the
 * API key or the password itself is sent once, at sign-in, and never stored in the browser.
 */
export class ConsoleSessions {
  private readonly signer: TokenSigner;

  constructor(
    secret: string,
    readonly defaultTtlSeconds: number,
  ) {
    this.signer = new TokenSigner(secret);
  }

  open(credential: SessionCredential, role: Role, ttlSeconds: number, now = Date.now()) {
    const csrfToken = randomBytes(18).toString('base64url');
    const token = this.signer.sign(
      { sub: sessionSubject(credential), role, kind: 'access', sid: csrfToken },
      ttlSeconds,
      now,
    );
    const session: ConsoleSession = {
      credential,
      role,
      csrfToken,
      expiresAt: new Date(Math.floor(now / 1000) * 1000 + ttlSeconds * 1000),
    };
    return { token, session };
  }

  /**
   * The session a cookie carries; undefined when it is forged, malformed or expired (or signed
   * before sessions named their credential's kind: its holder signs in again).
   */
  verify(token: string, now = Date.now()): ConsoleSession | undefined {
    let claims;
    try {
      claims = this.signer.verify(token, 'access', now);
    } catch (e) {
      if (e instanceof InvalidTokenError) return undefined;
      throw e;
    }
    const credential = credentialOfSubject(claims.sub);
    if (!credential) return undefined;
    return {
      credential,
      role: claims.role,
      csrfToken: claims.sid,
      expiresAt: new Date(claims.exp * 1000),
    };
  }
}

export function csrfMatches(session: ConsoleSession, header: string | undefined): boolean {
  if (!header) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie of a session (maxAge 0 clears it). Secure when the request came over HTTPS. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
