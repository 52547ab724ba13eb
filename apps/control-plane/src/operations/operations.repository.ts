import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import { JsonObject, OperationEntity } from '@fstore/control-store';
import { Transaction } from '../store/transactions';
import { managerOf } from '../store/typeorm-transactions';

/** An operation as accepted: what the database fills in (created_at, updated_at) left out. */
export type NewOperation = Omit<OperationEntity, 'createdAt' | 'updatedAt'>;

/**
 * The operations table (the asynchronous operations' states): every statement on it. The rules
 * (which state follows which, idempotency) are the services'.
 */
export interface OperationsRepository {
  get(id: string): Promise<OperationEntity | null>;
  byIdempotencyKey(key: string): Promise<OperationEntity | null>;
  /** Inserts the operation; an idempotency key already taken is a unique violation. */
  insert(operation: NewOperation, tx: Transaction): Promise<OperationEntity>;
  /** An attempt begins: running, one more attempt. */
  markRunning(id: string): Promise<void>;
  /** The attempt failed and will be retried: queued again, with the attempt's error. */
  requeue(id: string, error: string): Promise<void>;
  saveProgress(id: string, progress: JsonObject, tx: Transaction): Promise<void>;
  succeed(id: string, result: JsonObject, tx: Transaction): Promise<void>;
  fail(id: string, error: string, tx: Transaction): Promise<void>;
  /** Queued or running operations not updated since `before`, at most `limit`. */
  unfinishedSince(before: Date, limit: number): Promise<OperationEntity[]>;
}

@Injectable()
export class TypeOrmOperationsRepository implements OperationsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private rows(tx?: Transaction) {
    return managerOf(this.db, tx).getRepository(OperationEntity);
  }

  get(id: string): Promise<OperationEntity | null> {
    return this.rows().findOneBy({ id });
  }

  byIdempotencyKey(key: string): Promise<OperationEntity | null> {
    return this.rows().findOneBy({ idempotencyKey: key });
  }

  async insert(operation: NewOperation, tx: Transaction): Promise<OperationEntity> {
    const row = this.rows(tx).create(operation);
    await this.rows(tx).insert(row);
    return row;
  }

  async markRunning(id: string): Promise<void> {
    await this.rows()
      .createQueryBuilder()
      .update()
      .set({ status: 'running', attempts: () => 'attempts + 1' })
      .where('id = :id', { id })
      .execute();
  }

  async requeue(id: string, error: string): Promise<void> {
    await this.rows().update({ id }, { status: 'queued', error });
  }

  async saveProgress(id: string, progress: JsonObject, tx: Transaction): Promise<void> {
    await this.rows(tx).update({ id }, { progress });
  }

  async succeed(id: string, result: JsonObject, tx: Transaction): Promise<void> {
    await this.rows(tx).update(
      { id },
      { status: 'succeeded', result, error: null, finishedAt: new Date() },
    );
  }

  async fail(id: string, error: string, tx: Transaction): Promise<void> {
    await this.rows(tx).update({ id }, { status: 'failed', error, finishedAt: new Date() });
  }

  unfinishedSince(before: Date, limit: number): Promise<OperationEntity[]> {
    return this.rows().find({
      where: { status: In(['queued', 'running']), updatedAt: LessThan(before) },
      take: limit,
    });
  }
}
