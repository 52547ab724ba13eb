import { QueryRunner } from 'typeorm';
import { grantsToServiceRoles, MIGRATIONS } from './data-source';
import { AuthUsers1765200000000, USERS_DDL_LOCK } from './migrations/1765200000000-auth-users';

/** The statements a migration sends (with their parameters), whitespace-normalized. */
async function statementsOf(
  run: (q: QueryRunner) => Promise<void>,
): Promise<[string, unknown[] | undefined][]> {
  const sent: [string, unknown[] | undefined][] = [];
  const runner = {
    query: (sql: string, params?: unknown[]) => {
      sent.push([sql.replace(/\s+/g, ' ').trim(), params]);
      return Promise.resolve([]);
    },
  };
  await run(runner as unknown as QueryRunner);
  return sent;
}

describe('MIGRATIONS', () => {
  it('run in the order of their timestamps, each named after its own', () => {
    const stamps = MIGRATIONS.map((M) => {
      const { name } = new M();
      const stamp = /(\d{13})$/.exec(name ?? '')?.[1];
      expect(M.name).toBe(name);
      return Number(stamp);
    });
    expect(stamps.every((s, i) => i === 0 || s > stamps[i - 1])).toBe(true);
    expect(MIGRATIONS).toContain(AuthUsers1765200000000);
  });
});

describe('AuthUsers1765200000000 (the users tables, issue 22)', () => {
  it("creates ensureSchema's tables and index if they do not exist, in public, one schema's migration at a time", async () => {
    const sent = await statementsOf((q) => new AuthUsers1765200000000().up(q));
    expect(USERS_DDL_LOCK).toBe(0x6673746f);
    expect(sent).toEqual([
      ['SELECT pg_advisory_xact_lock($1)', [0x6673746f]],
      [
        'CREATE TABLE IF NOT EXISTS public.auth_users ( email text PRIMARY KEY, ' +
          'password_hash text NOT NULL, role text NOT NULL, ' +
          'created_at timestamptz NOT NULL DEFAULT now() )',
        undefined,
      ],
      [
        'CREATE TABLE IF NOT EXISTS public.auth_sessions ( sid uuid PRIMARY KEY, ' +
          'email text NOT NULL REFERENCES public.auth_users (email) ON DELETE CASCADE, ' +
          'refresh_gen integer NOT NULL DEFAULT 0, ' +
          'created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, ' +
          'ended_at timestamptz )',
        undefined,
      ],
      [
        'CREATE INDEX IF NOT EXISTS auth_sessions_email ON public.auth_sessions (email, expires_at)',
        undefined,
      ],
    ]);
  });

  it('reverting leaves the users and their sessions', async () => {
    expect(await statementsOf(() => new AuthUsers1765200000000().down())).toEqual([]);
  });
});

describe('grantsToServiceRoles', () => {
  it('gives the feature server the users tables it needs and the control plane its schema and the users (read only)', () => {
    expect(
      grantsToServiceRoles('control', { control: 'fstore_control', serving: 'fstore_serving' }),
    ).toEqual([
      'GRANT USAGE ON SCHEMA "control" TO "fstore_control"',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "control" TO "fstore_control"',
      'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "control" TO "fstore_control"',
      'REVOKE UPDATE, DELETE, TRUNCATE ON "control".audit_log FROM "fstore_control"',
      'REVOKE ALL ON "control".migrations FROM "fstore_control"',
      'GRANT SELECT ON public.auth_users TO "fstore_control"',
      'GRANT SELECT ON public.auth_users TO "fstore_serving"',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON public.auth_sessions TO "fstore_serving"',
    ]);
  });
});
