import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditEntryEntity } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';

/** An entry as appended: what the database fills in (id, at) left out. */
export type NewAuditEntry = Omit<AuditEntryEntity, 'id' | 'at'>;

/** The audit log (append-only: PostgreSQL refuses UPDATE and DELETE on it). */
export interface AuditRepository {
  /** Appends the entry, inside the transaction when one is given. */
  append(entry: NewAuditEntry, tx?: Transaction): Promise<void>;
  /** Newest first, at most `limit`, of one target and/or one actor. */
  list(filter: { target?: string; actor?: string; limit: number }): Promise<AuditEntryEntity[]>;
}

@Injectable()
export class TypeOrmAuditRepository implements AuditRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async append(entry: NewAuditEntry, tx?: Transaction): Promise<void> {
    await managerOf(this.db, tx).getRepository(AuditEntryEntity).insert(entry);
  }

  list(filter: { target?: string; actor?: string; limit: number }): Promise<AuditEntryEntity[]> {
    const q = this.db
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .orderBy('a.id', 'DESC')
      .limit(filter.limit);
    if (filter.target) q.andWhere('a.target = :target', { target: filter.target });
    if (filter.actor) q.andWhere('a.actor = :actor', { actor: filter.actor });
    return q.getMany();
  }
}
