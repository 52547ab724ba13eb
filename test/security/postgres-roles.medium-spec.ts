import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { FstoreConfig, loadConfig, postgresLogin, PostgresLogin } from '@fstore/config';

// Issue 20, finding 8: the feature server and the control plane log in to PostgreSQL as roles of
// their own (docs/security.md). The probe's attacks with each role's credentials run against
// the real server and the stack's control schema (migrated and granted by the running control
// plane); each is refused with PostgreSQL's error, and the legitimate use still works.
const config: FstoreConfig = loadConfig();
const schema = config.control.pgSchema;
const run = `security-${randomUUID().slice(0, 8)}`;
const clients: Client[] = [];

async function connect(login: PostgresLogin): Promise<Client> {
  const client = new Client({ ...login, connectionTimeoutMillis: 5000 });
  clients.push(client);
  await client.connect();
  return client;
}

/** PostgreSQL's refusal: its SQLSTATE and message. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const { code, message } = e as { code: string; message: string };
    return { code, message };
  }
  throw new Error('expected PostgreSQL to refuse the statement');
}
const denied = (message: string) => ({ code: '42501', message });

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});

describe('PostgreSQL roles (issue 20, finding 8)', () => {
  it("the feature server's role reads users and keeps sessions, and reaches nothing of the control plane", async () => {
    const serving = await connect(postgresLogin(config, 'serving'));
    expect((await serving.query('SELECT current_user AS who')).rows).toEqual([
      { who: config.postgresRoles.serving.user },
    ]);
    // Legitimate: what login and refresh read and write.
    await serving.query('SELECT email, password_hash, role FROM auth_users WHERE email = $1', [
      `${run}@example.com`,
    ]);
    await serving.query('UPDATE auth_sessions SET ended_at = now() WHERE sid = $1', [randomUUID()]);
    // The probe's attack: an admin API key for the control plane.
    expect(
      await refusal(
        serving.query(
          `INSERT INTO "${schema}".api_keys (name, prefix, key_hash, role) VALUES ($1, 'x', $2, 'admin')`,
          [run, run],
        ),
      ),
    ).toEqual(denied(`permission denied for schema ${schema}`));
    expect(await refusal(serving.query(`DELETE FROM "${schema}".audit_log`))).toEqual(
      denied(`permission denied for schema ${schema}`),
    );
    // Adding a user (or an admin) is the owner's (`fstore users add`).
    expect(
      await refusal(
        serving.query(
          `INSERT INTO auth_users (email, password_hash, role) VALUES ($1, 'x', 'admin')`,
          [`${run}@example.com`],
        ),
      ),
    ).toEqual(denied('permission denied for table auth_users'));
    expect(await refusal(serving.query('CREATE TABLE probe (a int)'))).toEqual(
      denied('permission denied for schema public'),
    );
  });

  it("the control plane's runtime role appends to the audit log and can neither change nor delete a row; it only reads the users", async () => {
    const control = await connect(postgresLogin(config, 'control'));
    await control.query(`SET search_path = "${schema}"`);
    const {
      rows: [{ id }],
    } = await control.query<{ id: string }>(
      `INSERT INTO audit_log (actor, action, target, outcome) VALUES ('security-test', 'probe', $1, 'succeeded') RETURNING id`,
      [run],
    );
    expect((await control.query('SELECT target FROM audit_log WHERE id = $1', [id])).rows).toEqual([
      { target: run },
    ]);
    // It still runs its own tables.
    await control.query('SELECT count(*) FROM jobs');
    expect(await refusal(control.query('DELETE FROM audit_log WHERE id = $1', [id]))).toEqual(
      denied('permission denied for table audit_log'),
    );
    expect(
      await refusal(control.query(`UPDATE audit_log SET outcome = 'x' WHERE id = $1`, [id])),
    ).toEqual(denied('permission denied for table audit_log'));
    expect(await refusal(control.query('TRUNCATE audit_log'))).toEqual(
      denied('permission denied for table audit_log'),
    );
    expect(await refusal(control.query('CREATE TABLE probe (a int)'))).toEqual(
      denied(`permission denied for schema ${schema}`),
    );
    // The users: read only (the web console's e-mail sign-in checks a password, and each of its
    // session's requests that the user is still there); adding, changing or removing one stays
    // the owner's, and the feature server's login sessions are not the control plane's.
    await control.query(
      'SELECT email, password_hash, role FROM public.auth_users WHERE email = $1',
      [`${run}@example.com`],
    );
    expect(
      await refusal(
        control.query(
          `INSERT INTO public.auth_users (email, password_hash, role) VALUES ($1, 'x', 'admin')`,
          [`${run}@example.com`],
        ),
      ),
    ).toEqual(denied('permission denied for table auth_users'));
    expect(
      await refusal(
        control.query(`UPDATE public.auth_users SET role = 'admin' WHERE email = $1`, [run]),
      ),
    ).toEqual(denied('permission denied for table auth_users'));
    expect(
      await refusal(control.query('DELETE FROM public.auth_users WHERE email = $1', [run])),
    ).toEqual(denied('permission denied for table auth_users'));
    expect(await refusal(control.query('SELECT * FROM public.auth_sessions'))).toEqual(
      denied('permission denied for table auth_sessions'),
    );

    // Even the owner cannot rewrite history: the trigger refuses it to every role.
    const owner = await connect({ ...config.postgres });
    expect(
      await refusal(owner.query(`DELETE FROM "${schema}".audit_log WHERE id = $1`, [id])),
    ).toEqual(denied('audit_log is append-only (DELETE refused)'));
    expect(
      await refusal(
        owner.query(`UPDATE "${schema}".audit_log SET outcome = 'x' WHERE id = $1`, [id]),
      ),
    ).toEqual(denied('audit_log is append-only (UPDATE refused)'));
    expect(
      (await owner.query(`SELECT outcome FROM "${schema}".audit_log WHERE id = $1`, [id])).rows,
    ).toEqual([{ outcome: 'succeeded' }]);
  });
});
