import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { ApiKeyEntity, ApiKeyRole, hashApiKey, keyUsable } from '@fstore/control-store';
import { API_KEYS_REPOSITORY } from '../tokens';
import { ApiKeysRepository } from './api-keys.repository';

export interface Principal {
  /** Who, for the audit log: `key:<name>`, or `user:<e-mail>` (a console session of a user). */
  actor: string;
  role: ApiKeyRole;
  /** The API key (absent for a serving user signed in to the console). */
  keyId?: string;
}

@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(API_KEYS_REPOSITORY) private readonly keys: ApiKeysRepository,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** Creates a key and returns it in clear: the only time it is visible. */
  async create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }> {
    return this.keys.create(name, role);
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const row = await this.keys.unrevokedByHash(hashApiKey(key));
    if (!row || !keyUsable(row)) return undefined;
    return { actor: `key:${row.name}`, role: row.role as ApiKeyRole, keyId: row.id };
  }

  /** The principal of a console session's key, while the key is still usable. */
  async authenticateById(keyId: string): Promise<Principal | undefined> {
    const row = await this.keys.unrevokedById(keyId);
    if (!row || !keyUsable(row)) return undefined;
    return { actor: `key:${row.name}`, role: row.role as ApiKeyRole, keyId: row.id };
  }

  /** Every key, newest first, without its hash (the prefix recognises it). */
  async list(): Promise<ApiKeyEntity[]> {
    return this.keys.list();
  }

  /**
   * Revokes a key at once (audited); revoking a revoked key changes nothing. Undefined: no such
   * key.
   */
  async revoke(id: string, principal: Principal): Promise<ApiKeyEntity | undefined> {
    const row = await this.keys.get(id);
    if (!row) return undefined;
    if (row.revokedAt === null) {
      row.revokedAt = new Date();
      await this.keys.setRevokedAt(id, row.revokedAt);
      await this.audit.record({
        actor: principal.actor,
        action: 'apikey.revoke',
        target: `apikey:${id}`,
        outcome: 'succeeded',
        detail: { name: row.name, role: row.role },
      });
    }
    return row;
  }
}
