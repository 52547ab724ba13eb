import { createHmac, timingSafeEqual } from 'crypto';
import { isRole, Role } from './roles';

export type TokenKind = 'access' | 'refresh';

export interface TokenClaims {
  sub: string;
  role: Role;
  kind: TokenKind;
  /**
   * The login session the token belongs to (auth_sessions): logging out or removing the user
   * ends it, and with it every token of the session, before they expire.
   */
  sid: string;
  /** Refresh tokens only: the session's rotation number; a refresh token is good once. */
  gen?: number;
  /** Expiry, epoch seconds. */
  exp: number;
}

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'InvalidTokenError';
  }
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Signs and verifies HS256 JSON Web Tokens with one secret. Verification runs on every feature
 * request, so verified tokens are remembered (bounded) until they expire.
 */
export class TokenSigner {
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly secret: string,
    private readonly maxCached = 10000,
  ) {
    if (secret.length < 16) throw new Error('the token secret must have at least 16 characters');
  }

  sign(claims: Omit<TokenClaims, 'exp'>, ttlSeconds: number, now = Date.now()): string {
    const payload = b64url(JSON.stringify({ ...claims, exp: Math.floor(now / 1000) + ttlSeconds }));
    return `${HEADER}.${payload}.${this.mac(`${HEADER}.${payload}`)}`;
  }

  verify(token: string, kind: TokenKind, now = Date.now()): TokenClaims {
    let claims = this.verified.get(token);
    if (!claims) {
      claims = this.decode(token);
      if (this.verified.size >= this.maxCached) this.verified.clear();
      this.verified.set(token, claims);
    }
    if (claims.exp * 1000 <= now) throw new InvalidTokenError('expired');
    if (claims.kind !== kind) throw new InvalidTokenError(`not an ${kind} token`);
    return claims;
  }

  private decode(token: string): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) throw new InvalidTokenError('malformed');
    const expected = Buffer.from(this.mac(`${parts[0]}.${parts[1]}`));
    const actual = Buffer.from(parts[2]);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new InvalidTokenError('bad signature');
    }
    let body: Partial<TokenClaims>;
    try {
      body = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      throw new InvalidTokenError('malformed payload');
    }
    const { sub, role, kind, sid, gen, exp } = body;
    if (typeof sub !== 'string' || typeof role !== 'string' || !isRole(role)) {
      throw new InvalidTokenError('missing subject or role');
    }
    if ((kind !== 'access' && kind !== 'refresh') || typeof exp !== 'number') {
      throw new InvalidTokenError('missing kind or expiry');
    }
    // Tokens issued before sessions existed have no sid: their holders log in again.
    if (typeof sid !== 'string') throw new InvalidTokenError('missing session');
    if (kind === 'refresh') {
      if (!Number.isInteger(gen)) throw new InvalidTokenError('missing rotation number');
      return { sub, role, kind, sid, gen, exp };
    }
    return { sub, role, kind, sid, exp };
  }

  private mac(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}
