import { Pool } from 'pg';
import {
  postgresWithoutTables,
  PostgresWithoutTables,
} from '../../../test/support/postgres-without-tables';
import {
  UsersRepository,
  UsersSchemaMissingError,
  UsersUnavailableError,
} from './users.repository';

const MISSING =
  "user database unavailable: the users tables do not exist: the database's migrations have not " +
  'run (run `fstore migrate`, or start the control plane, which migrates at boot)';

describe('UsersRepository before the migrations ran (no users tables)', () => {
  let db: PostgresWithoutTables;
  let pool: Pool;
  let users: UsersRepository;

  beforeAll(async () => {
    db = await postgresWithoutTables();
    pool = new Pool({ host: '127.0.0.1', port: db.port, user: 'fstore', database: 'fstore' });
    users = new UsersRepository(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.close();
  });

  const sid = '00000000-0000-4000-8000-000000000000';
  it.each<[string, () => Promise<unknown>]>([
    ['upsert (fstore users add)', () => users.upsert('a@example.com', 'pw-pw-pw-pw-pw', 'reader')],
    ['remove (fstore users remove)', () => users.remove('a@example.com')],
    ['authenticate (login)', () => users.authenticate('a@example.com', 'pw')],
    ['find', () => users.find('a@example.com')],
    ['startSession (login)', () => users.startSession('a@example.com', 60)],
    ['rotateRefresh (refresh)', () => users.rotateRefresh(sid, 0, 60)],
    ['endSession (logout)', () => users.endSession(sid)],
    ['sessionActive (session check)', () => users.sessionActive(sid)],
  ])(
    '%s fails saying the migrations have not run, and which command runs them',
    async (_, work) => {
      const failure = await work().then(
        () => 'resolved',
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(UsersSchemaMissingError);
      // The feature server answers a UsersUnavailableError with 503.
      expect(failure).toBeInstanceOf(UsersUnavailableError);
      expect((failure as Error).message).toBe(MISSING);
    },
  );

  it('never creates a table itself: only the migrations do', () => {
    expect(db.statements.length).toBeGreaterThan(0);
    expect(db.statements.filter((s) => /\b(CREATE|GRANT|ALTER)\b/i.test(s))).toEqual([]);
  });
});
