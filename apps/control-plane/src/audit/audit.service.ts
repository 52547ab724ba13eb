import { Inject, Injectable } from '@nestjs/common';
import { AuditEntryEntity, JsonObject } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { AUDIT_REPOSITORY } from '../tokens';
import { AuditRepository } from './audit.repository';

export interface AuditRecord {
  actor: string;
  action: string;
  target: string;
  outcome: string;
  detail?: JsonObject;
}

/** Who did what, when, with what outcome: every admin action, accepted or refused. */
@Injectable()
export class AuditService {
  constructor(@Inject(AUDIT_REPOSITORY) private readonly entries: AuditRepository) {}

  /** Records an entry, inside the caller's transaction when one is given. */
  async record(entry: AuditRecord, tx?: Transaction): Promise<void> {
    await this.entries.append({ ...entry, detail: entry.detail ?? {} }, tx);
  }

  list(filter: { target?: string; actor?: string; limit: number }): Promise<AuditEntryEntity[]> {
    return this.entries.list(filter);
  }
}
