import { createHash, randomBytes } from 'crypto';
import { Repository } from 'typeorm';
import { FstoreConfig } from '@fstore/config';
import { openDatabase } from './data-source';
import { ApiKeyEntity } from './entities';

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

/** Shared by the control plane's ApiKeysService and createControlApiKey below. */
export async function createApiKey(
  keys: Repository<ApiKeyEntity>,
  name: string,
  role: ApiKeyRole,
  expiresAt: Date | null = null,
): Promise<{ id: string; key: string }> {
  const key = generateApiKey();
  const row = await keys.save(
    keys.create({
      name,
      role,
      prefix: key.slice(0, 10),
      keyHash: hashApiKey(key),
      revokedAt: null,
      expiresAt,
    }),
  );
  return { id: row.id, key };
}

/**
 * Creates a control-plane API key in its database (migrating it first if needed) and returns
 * the key, which is shown only this once (`fstore apikeys create`, the local stack's keys).
 */
export async function createControlApiKey(
  config: FstoreConfig,
  name: string,
  role: string,
  expiresAt: Date | null = null,
): Promise<string> {
  if (!isApiKeyRole(role)) {
    throw new Error(`unknown role "${role}" (one of: ${API_KEY_ROLES.join(', ')})`);
  }
  const db = await openDatabase(config);
  try {
    return (await createApiKey(db.getRepository(ApiKeyEntity), name, role, expiresAt)).key;
  } finally {
    await db.destroy();
  }
}
