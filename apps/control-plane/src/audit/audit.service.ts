import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AuditEntryEntity, JsonObject } from '@fstore/control-store';

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
  constructor(
    @InjectRepository(AuditEntryEntity) private readonly entries: Repository<AuditEntryEntity>,
  ) {}

  /** Records an entry, inside the caller's transaction when one is given. */
  async record(entry: AuditRecord, tx?: EntityManager): Promise<void> {
    const repo = tx ? tx.getRepository(AuditEntryEntity) : this.entries;
    await repo.insert({ ...entry, detail: entry.detail ?? {} });
  }

  list(filter: { target?: string; actor?: string; limit: number }): Promise<AuditEntryEntity[]> {
    const q = this.entries.createQueryBuilder('a').orderBy('a.id', 'DESC').limit(filter.limit);
    if (filter.target) q.andWhere('a.target = :target', { target: filter.target });
    if (filter.actor) q.andWhere('a.actor = :actor', { actor: filter.actor });
    return q.getMany();
  }
}
