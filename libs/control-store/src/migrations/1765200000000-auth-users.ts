import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Serializes this DDL across the control schemas that migrate at once (tests each migrate a
 * throw-away schema, and every one of them runs this migration): two concurrent CREATE TABLE IF
 * NOT EXISTS of one table can both pass the check, and one then fails. The key is the one the
 * servers' former `UsersRepository.ensureSchema` took, so that a server of the previous version
 * still starting during an upgrade waits too.
 */
export const USERS_DDL_LOCK = 0x66_73_74_6f; // "fsto"

/**
 * The users who may log in and their login sessions (libs/auth's UsersRepository), under the
 * migrations like every other table (issue 22); `UsersRepository.ensureSchema` created them at
 * first use before.
 *
 * In `public`, not in the control plane's schema (this migration runs with the control schema as
 * search_path, hence the qualified names): the feature server's role finds them through its
 * default search_path and has no USAGE on the control plane's schema, and the control plane's
 * runtime role, which may use every table of that schema, gets only what its grants name here
 * (since the web console's e-mail sign-in: SELECT on auth_users, nothing on auth_sessions).
 *
 * IF NOT EXISTS, with exactly ensureSchema's columns, constraints and index: an installation whose
 * tables ensureSchema made keeps them, and its users and sessions. The grants to the feature
 * server's role are given after the migrations, where the control plane's runtime role gets its
 * own (grantsToServiceRoles in ../data-source.ts).
 */
export class AuthUsers1765200000000 implements MigrationInterface {
  name = 'AuthUsers1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT pg_advisory_xact_lock($1)', [USERS_DDL_LOCK]);
    await q.query(`
      CREATE TABLE IF NOT EXISTS public.auth_users (
        email         text PRIMARY KEY,
        password_hash text NOT NULL,
        role          text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS public.auth_sessions (
        sid         uuid PRIMARY KEY,
        email       text NOT NULL REFERENCES public.auth_users (email) ON DELETE CASCADE,
        refresh_gen integer NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        ended_at    timestamptz
      )`);
    await q.query(
      'CREATE INDEX IF NOT EXISTS auth_sessions_email ON public.auth_sessions (email, expires_at)',
    );
  }

  /**
   * Leaves the tables: they may predate this migration (ensureSchema made them) and every control
   * schema's migrations share them, so reverting one schema must not delete the users.
   */
  async down(): Promise<void> {}
}
