import { Pool } from 'pg';
import { hashPassword, verifyPassword } from './passwords';
import { Role } from './roles';

const UNDEFINED_TABLE = '42P01';

/** The user database did not answer. */
export class UsersUnavailableError extends Error {
  constructor(reason: string) {
    super(`user database unavailable: ${reason}`);
    this.name = 'UsersUnavailableError';
  }
}

export interface User {
  email: string;
  role: Role;
}

/** The users who may log in, in PostgreSQL. The only code that reads or writes that table. */
export class UsersRepository {
  constructor(private readonly pool: Pool) {}

  /** Idempotent DDL; no user input reaches it. */
  async ensureSchema(): Promise<void> {
    await this.pool.query(`
      CREATE TABLE IF NOT EXISTS auth_users (
        email         text PRIMARY KEY,
        password_hash text NOT NULL,
        role          text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async upsert(email: string, password: string, role: Role): Promise<void> {
    const hash = await hashPassword(password);
    await this.pool.query(
      `INSERT INTO auth_users (email, password_hash, role) VALUES ($1, $2, $3)
       ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role`,
      [email.toLowerCase(), hash, role],
    );
  }

  /** The user if the password matches, else undefined (same answer for unknown and wrong). */
  async authenticate(email: string, password: string): Promise<User | undefined> {
    const rows = await this.select<{ email: string; password_hash: string; role: Role }>(
      'SELECT email, password_hash, role FROM auth_users WHERE email = $1',
      email,
    );
    const row = rows[0];
    if (!row || !(await verifyPassword(password, row.password_hash))) return undefined;
    return { email: row.email, role: row.role };
  }

  async find(email: string): Promise<User | undefined> {
    return (
      await this.select<User>('SELECT email, role FROM auth_users WHERE email = $1', email)
    )[0];
  }

  /** Resolves when the user database answers; else UsersUnavailableError. */
  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (e) {
      throw new UsersUnavailableError((e as Error).message);
    }
  }

  private async select<T extends object>(sql: string, email: string): Promise<T[]> {
    try {
      return (await this.pool.query<T>(sql, [email.toLowerCase()])).rows;
    } catch (e) {
      // No table yet means no user has been added yet.
      if ((e as { code?: string }).code === UNDEFINED_TABLE) return [];
      throw new UsersUnavailableError((e as Error).message);
    }
  }
}
