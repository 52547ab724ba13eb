import { loadConfig } from '@fstore/config';
import { createApiKey } from '../../../control-plane/src/auth/api-keys.service';
import { API_KEY_ROLES, isApiKeyRole } from '../../../control-plane/src/auth/api-keys';
import { openDatabase } from '../../../control-plane/src/database/data-source';
import { ApiKeyEntity } from '../../../control-plane/src/database/entities';

/**
 * `fstore apikeys create --role operator [--name ci]`: creates a control-plane API key in its
 * database (migrating it first if needed) and returns the key, which is shown only this once.
 */
export async function createKey(role: string, name: string): Promise<string> {
  if (!isApiKeyRole(role)) {
    throw new Error(`unknown role "${role}" (one of: ${API_KEY_ROLES.join(', ')})`);
  }
  const db = await openDatabase(loadConfig());
  try {
    return (await createApiKey(db.getRepository(ApiKeyEntity), name, role)).key;
  } finally {
    await db.destroy();
  }
}
