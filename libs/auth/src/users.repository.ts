import { randomUUID } from 'crypto';
import { Pool } from 'pg';
import { hashPassword, verifyAgainstNoOne, verifyPassword } from './passwords';
import { Role } from './roles';

const UNDEFINED_TABLE = '42P01';

/** The user database did not answer. */
export class UsersUnavailableError extends Error {
  constructor(reason: string) {
    super(`user database unavailable: ${reason}`);
    this.name = 'UsersUnavailableError';
  }
}

/** The command that creates the users tables (and grants the feature server's role its rights). */
const MIGRATE_COMMAND = 'fstore migrate';

/**
 * The users tables do not exist: the database's migrations have not run. A kind of
 * UsersUnavailableError (the feature server answers 503), saying what to run.
 */
export class UsersSchemaMissingError extends UsersUnavailableError {
  constructor() {
    super(
      `the users tables do not exist: the database's migrations have not run ` +
        `(run \`${MIGRATE_COMMAND}\`, or start the control plane, which migrates at boot)`,
    );
    this.name = 'UsersSchemaMissingError';
  }
}

/** What a failed statement on the users tables means. */
function usersFailure(e: unknown): UsersUnavailableError {
  if ((e as { code?: string }).code === UNDEFINED_TABLE) return new UsersSchemaMissingError();
  return new UsersUnavailableError((e as Error).message);
}

export interface User {
  email: string;
  role: Role;
}

/** A refresh that could not rotate: the session is gone (or ended), or the token was used. */
export type RotateResult =
  { ok: true; user: User; gen: number } | { ok: false; reason: 'ended' | 'reused' };

/**
 * The users who may log in and their login sessions, in PostgreSQL. The only code that reads or
 * writes those tables; their schema is a migration of libs/control-store (AuthUsers1765200000000),
 * run before anything here: a table missing is UsersSchemaMissingError. A session is one login:
 * its tokens carry its id (sid), its refresh token is good once (refresh_gen rotates), and it
 * ends on logout, on refresh-token reuse or with its user (ON DELETE CASCADE).
 */
export class UsersRepository {
  constructor(private readonly pool: Pool) {}

  async upsert(email: string, password: string, role: Role): Promise<void> {
    const hash = await hashPassword(password);
    await this.run(
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
    // An unknown e-mail pays the same scrypt run as a wrong password (no timing oracle).
    if (!row) return verifyAgainstNoOne(password).then(() => undefined);
    if (!(await verifyPassword(password, row.password_hash))) return undefined;
    return { email: row.email, role: row.role };
  }

  /** Removes a user; their sessions go with them (so do their tokens). False if unknown. */
  async remove(email: string): Promise<boolean> {
    const removed = await this.run('DELETE FROM auth_users WHERE email = $1 RETURNING email', [
      email.toLowerCase(),
    ]);
    return removed.length > 0;
  }

  /** A new session of `email` (just authenticated), valid for `ttlSeconds` unless refreshed. */
  async startSession(email: string, ttlSeconds: number): Promise<string> {
    const sid = randomUUID();
    await this.run(
      `WITH cleanup AS (DELETE FROM auth_sessions WHERE email = $2 AND expires_at < now())
       INSERT INTO auth_sessions (sid, email, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sid, email.toLowerCase(), ttlSeconds],
    );
    return sid;
  }

  /**
   * Spends refresh token number `gen` of session `sid`: one statement, so two concurrent
   * refreshes with the same token cannot both succeed. A token whose number was already spent
   * is reuse — a stolen copy, or the thief already used it — and ends the session (every token
   * of it), as OAuth 2.0's security practice for refresh-token rotation advises.
   */
  async rotateRefresh(sid: string, gen: number, ttlSeconds: number): Promise<RotateResult> {
    const rotated = await this.run<{ email: string; role: Role; refresh_gen: number }>(
      `UPDATE auth_sessions s SET refresh_gen = s.refresh_gen + 1,
              expires_at = now() + make_interval(secs => $3)
       FROM auth_users u
       WHERE s.sid = $1 AND s.refresh_gen = $2 AND s.ended_at IS NULL AND s.expires_at > now()
         AND u.email = s.email
       RETURNING u.email, u.role, s.refresh_gen`,
      [sid, gen, ttlSeconds],
    );
    if (rotated[0]) {
      const { email, role, refresh_gen } = rotated[0];
      return { ok: true, user: { email, role }, gen: refresh_gen };
    }
    const ended = await this.run(
      `UPDATE auth_sessions SET ended_at = now()
       WHERE sid = $1 AND refresh_gen > $2 AND ended_at IS NULL RETURNING sid`,
      [sid, gen],
    );
    return { ok: false, reason: ended.length > 0 ? 'reused' : 'ended' };
  }

  /** Ends a session (logout): its access and refresh tokens stop working. */
  async endSession(sid: string): Promise<void> {
    await this.run(
      'UPDATE auth_sessions SET ended_at = now() WHERE sid = $1 AND ended_at IS NULL',
      [sid],
    );
  }

  /** Whether the session exists (its user too) and has not ended. */
  async sessionActive(sid: string): Promise<boolean> {
    const rows = await this.run(
      'SELECT 1 FROM auth_sessions WHERE sid = $1 AND ended_at IS NULL AND expires_at > now()',
      [sid],
    );
    return rows.length > 0;
  }

  private async run<T extends object>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query<T>(sql, params)).rows;
    } catch (e) {
      throw usersFailure(e);
    }
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

  private select<T extends object>(sql: string, email: string): Promise<T[]> {
    return this.run<T>(sql, [email.toLowerCase()]);
  }
}
