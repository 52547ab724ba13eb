import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import {
  ApiKeyEntity,
  ApiKeyRole,
  createApiKey,
  hashApiKey,
  keyUsable,
} from '@fstore/control-store';

export interface Principal {
  /** Who, for the audit log: `key:<name>`. */
  actor: string;
  role: ApiKeyRole;
  keyId: string;
}

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** Creates a key and returns it in clear: the only time it is visible. */
  async create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }> {
    return createApiKey(this.keys, name, role);
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const row = await this.keys.findOneBy({ keyHash: hashApiKey(key), revokedAt: IsNull() });
    if (!row || !keyUsable(row)) return undefined;
    return { actor: `key:${row.name}`, role: row.role as ApiKeyRole, keyId: row.id };
  }

  /** The principal of a console session's key, while the key is still usable. */
  async authenticateById(keyId: string): Promise<Principal | undefined> {
    const row = await this.keys.findOneBy({ id: keyId, revokedAt: IsNull() });
    if (!row || !keyUsable(row)) return undefined;
    return { actor: `key:${row.name}`, role: row.role as ApiKeyRole, keyId: row.id };
  }

  /** Every key, newest first, without its hash (the prefix recognises it). */
  async list(): Promise<ApiKeyEntity[]> {
    return this.keys.find({ order: { createdAt: 'DESC' } });
  }

  /**
   * Revokes a key at once (audited); revoking a revoked key changes nothing. Undefined: no such
   * key.
   */
  async revoke(id: string, principal: Principal): Promise<ApiKeyEntity | undefined> {
    const row = await this.keys.findOneBy({ id });
    if (!row) return undefined;
    if (row.revokedAt === null) {
      row.revokedAt = new Date();
      await this.keys.update({ id }, { revokedAt: row.revokedAt });
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
