import { createHash, randomBytes } from 'crypto';

/** API keys: 256 random bits, shown once; only their sha256 is stored. */
export const API_KEY_PREFIX = 'fsk_';

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The roles an API key may have (`reader` is the serving role, not the control plane's). */
export const API_KEY_ROLES = ['admin', 'operator', 'viewer'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export function isApiKeyRole(value: string): value is ApiKeyRole {
  return (API_KEY_ROLES as readonly string[]).includes(value);
}

/** Whether a stored key may be used now: not revoked, not past its expiry. */
export function keyUsable(
  key: { revokedAt: Date | null; expiresAt: Date | null },
  now: Date = new Date(),
): boolean {
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
}
