import { randomBytes, timingSafeEqual } from 'crypto';
import { InvalidTokenError, TokenSigner, type Role } from '@fstore/auth';

/** The console's session cookie: HttpOnly (no page script reads it), SameSite=Strict. */
export const SESSION_COOKIE = 'fstore_console';
/** What a cookie-authenticated mutation must repeat from the session (a forged form cannot). */
export const CSRF_HEADER = 'x-csrf-token';

export interface ConsoleSession {
  /** The API key the session was opened with (re-checked on every request: revoking it ends the session). */
  keyId: string;
  role: Role;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * Console sessions are signed cookies (HS256 over {key id, role, CSRF token, expiry}): the API key
 * itself is sent once, at sign-in, and never stored in the browser.
 */
export class ConsoleSessions {
  private readonly signer: TokenSigner;

  constructor(
    secret: string,
    readonly defaultTtlSeconds: number,
  ) {
    this.signer = new TokenSigner(secret);
  }

  open(keyId: string, role: Role, ttlSeconds: number, now = Date.now()) {
    const csrfToken = randomBytes(18).toString('base64url');
    const token = this.signer.sign(
      { sub: keyId, role, kind: 'access', sid: csrfToken },
      ttlSeconds,
      now,
    );
    const session: ConsoleSession = {
      keyId,
      role,
      csrfToken,
      expiresAt: new Date(Math.floor(now / 1000) * 1000 + ttlSeconds * 1000),
    };
    return { token, session };
  }

  /** The session a cookie carries; undefined when it is forged, malformed or expired. */
  verify(token: string, now = Date.now()): ConsoleSession | undefined {
    try {
      const claims = this.signer.verify(token, 'access', now);
      return {
        keyId: claims.sub,
        role: claims.role,
        csrfToken: claims.sid,
        expiresAt: new Date(claims.exp * 1000),
      };
    } catch (e) {
      if (e instanceof InvalidTokenError) return undefined;
      throw e;
    }
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
