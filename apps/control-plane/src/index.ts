/** What other apps (the CLI) may use of the control plane without its HTTP API. */
import { FstoreConfig } from '@fstore/config';
import { API_KEY_ROLES, isApiKeyRole } from './auth/api-keys';
import { createApiKey } from './auth/api-keys.service';
import { openDatabase } from './database/data-source';
import { ApiKeyEntity } from './database/entities';

export { API_KEY_ROLES };
export { generateControlPlaneDocument } from './openapi';

/**
 * Creates a control-plane API key in its database (migrating it first if needed) and returns
 * the key, which is shown only this once.
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
