import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../database/entities';
import { ApiKeyRole, generateApiKey, hashApiKey } from './api-keys';

export interface Principal {
  /** Who, for the audit log: `key:<name>`. */
  actor: string;
  role: ApiKeyRole;
  keyId: string;
}

@Injectable()
export class ApiKeysService {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  /** Creates a key and returns it in clear: the only time it is visible. */
  async create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }> {
    return createApiKey(this.keys, name, role);
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const row = await this.keys.findOneBy({ keyHash: hashApiKey(key), revokedAt: IsNull() });
    if (!row) return undefined;
    return { actor: `key:${row.name}`, role: row.role as ApiKeyRole, keyId: row.id };
  }
}

/** Shared by the service and the `fstore apikeys create` command. */
export async function createApiKey(
  keys: Repository<ApiKeyEntity>,
  name: string,
  role: ApiKeyRole,
): Promise<{ id: string; key: string }> {
  const key = generateApiKey();
  const row = await keys.save(
    keys.create({
      name,
      role,
      prefix: key.slice(0, 10),
      keyHash: hashApiKey(key),
      revokedAt: null,
    }),
  );
  return { id: row.id, key };
}
