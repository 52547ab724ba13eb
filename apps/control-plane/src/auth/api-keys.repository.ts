import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity, ApiKeyRole, createApiKey } from '@fstore/control-store';

/** The api_keys table (only each key's sha256 is stored). Which key may be used is the service's rule. */
export interface ApiKeysRepository {
  /** Creates a key; returns its id and the key in clear (the only time it is visible). */
  create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }>;
  /** The key with this hash, unless revoked. */
  unrevokedByHash(keyHash: string): Promise<ApiKeyEntity | null>;
  /** The key with this id, unless revoked. */
  unrevokedById(id: string): Promise<ApiKeyEntity | null>;
  get(id: string): Promise<ApiKeyEntity | null>;
  /** Every key, newest first. */
  list(): Promise<ApiKeyEntity[]>;
  setRevokedAt(id: string, revokedAt: Date): Promise<void>;
}

@Injectable()
export class TypeOrmApiKeysRepository implements ApiKeysRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get rows() {
    return this.db.getRepository(ApiKeyEntity);
  }

  create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }> {
    return createApiKey(this.rows, name, role);
  }

  unrevokedByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.rows.findOneBy({ keyHash, revokedAt: IsNull() });
  }

  unrevokedById(id: string): Promise<ApiKeyEntity | null> {
    return this.rows.findOneBy({ id, revokedAt: IsNull() });
  }

  get(id: string): Promise<ApiKeyEntity | null> {
    return this.rows.findOneBy({ id });
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.rows.find({ order: { createdAt: 'DESC' } });
  }

  async setRevokedAt(id: string, revokedAt: Date): Promise<void> {
    await this.rows.update({ id }, { revokedAt });
  }
}
