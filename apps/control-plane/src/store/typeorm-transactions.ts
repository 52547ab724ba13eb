import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { Transaction, Transactions } from './transactions';

const UNIQUE_VIOLATION = '23505';

/** A TypeORM transaction (its EntityManager), as the TypeORM repositories receive it. */
class TypeOrmTransaction implements Transaction {
  readonly transaction = true;
  constructor(readonly manager: EntityManager) {}
}

@Injectable()
export class TypeOrmTransactions implements Transactions {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction((manager) => work(new TypeOrmTransaction(manager)));
  }

  isUniqueViolation(e: unknown): boolean {
    const code = (e as { driverError?: { code?: string } }).driverError?.code;
    return e instanceof QueryFailedError && code === UNIQUE_VIOLATION;
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}

/**
 * The EntityManager statements run with: the transaction's if one is given, else the data
 * source's (each statement on its own).
 */
export function managerOf(db: DataSource, tx?: Transaction): EntityManager {
  if (!tx) return db.manager;
  if (!(tx instanceof TypeOrmTransaction)) {
    throw new Error('a TypeORM repository was given a transaction it did not begin');
  }
  return tx.manager;
}

/**
 * The Transaction of an EntityManager's transaction, for services whose statements are not yet
 * behind repositories (issue 22) but that hand the transaction to one that is (the audit log).
 */
export function transactionOf(manager: EntityManager): Transaction {
  return new TypeOrmTransaction(manager);
}
