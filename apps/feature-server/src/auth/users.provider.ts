import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { FstoreConfig, postgresLogin } from '@fstore/config';
import { UsersRepository } from '@fstore/auth';
import { createPool } from '@fstore/postgres';
import { CONFIG, PG_POOL } from '../tokens';

const logger = new Logger('postgres');

/**
 * The users table, the only thing the feature server keeps in PostgreSQL: login and refresh use
 * it, feature reads never do. It logs in as its own role (FSTORE_PG_SERVING_USER), which may read
 * users and keep sessions, and reach nothing of the control plane's. The pool outlives a PostgreSQL restart (its `error` event is
 * logged, not thrown), so reads go on while logins answer 503 until PostgreSQL is back.
 */
export const pgPoolProvider = {
  provide: PG_POOL,
  inject: [CONFIG],
  useFactory: (c: FstoreConfig): Pool =>
    createPool({ ...postgresLogin(c, 'serving'), max: 4 }, 'users pool', (message) =>
      logger.warn(message),
    ),
};

export const usersRepositoryProvider = {
  provide: UsersRepository,
  inject: [PG_POOL],
  useFactory: (pool: Pool) => new UsersRepository(pool),
};
