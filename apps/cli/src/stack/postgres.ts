import { spawnSync } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { migrateDatabase } from '@fstore/control-store';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { letThrough } from './let-through';
import { serviceUser } from './service-user';
import {
  aptInstall,
  ensureDir,
  probe,
  run,
  runningPid,
  spawnDaemon,
  StackError,
  stopProcess,
  waitUntil,
} from './processes';

const PROCESS = 'postgres';

/** The OS account PostgreSQL runs as: it refuses to run as root. */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(run('id', ['-u', 'postgres']).trim());
  const gid = Number(run('id', ['-g', 'postgres']).trim());
  return { uid, gid };
}

/**
 * The server's account must reach its data and socket folders in the stack folder. A checkout
 * under a folder only root may enter (a `mktemp -d` clone is 0700) keeps it out: it gets the
 * service user's kind of ACL entry, leave to enter (not list) each folder on the way.
 */
async function letServerOwnerIn(ctx: StackContext): Promise<void> {
  const account = process.getuid?.() === 0 ? serviceUser('postgres') : undefined;
  if (account) await letThrough(account, [ctx.config.stackDir], (m) => ctx.log(`postgres: ${m}`));
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new StackError('postgres: no PostgreSQL server is installed');
  return join(base, versions[0], 'bin');
}

async function query(ctx: StackContext, sql: string): Promise<unknown[]> {
  const pg = ctx.config.postgres;
  const client = new Client({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: pg.database,
    connectionTimeoutMillis: 3000,
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL from Debian. If something already listens on the port (a server this stack did not
 * start) it is reused; otherwise the stack runs its own cluster in <stack>/data/postgres.
 */
export class PostgresComponent implements StackComponent {
  readonly name = 'postgres';

  processNames(): string[] {
    return [PROCESS];
  }

  async install(ctx: StackContext): Promise<void> {
    if (!existsSync('/usr/lib/postgresql')) await aptInstall(['postgresql'], ctx.log);
  }

  private socketDir(ctx: StackContext): string {
    return join(ctx.paths.run, 'postgres');
  }

  private async listening(ctx: StackContext): Promise<boolean> {
    const { connect } = await import('net');
    return new Promise((resolve) => {
      const s = connect(ctx.config.postgres.port, ctx.config.postgres.host);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  }

  async start(ctx: StackContext): Promise<number> {
    if (runningPid(ctx.paths, PROCESS) !== undefined) return 0;
    if (await this.listening(ctx)) {
      ctx.log(`postgres: reusing the server already listening on port ${ctx.config.postgres.port}`);
      return 0;
    }
    const owner = serverOwner();
    await letServerOwnerIn(ctx);
    const dataDir = ctx.paths.data('postgres');
    const bin = binDir();
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      ensureDir(dataDir, owner);
      ctx.log(`postgres: initializing a cluster in ${dataDir}`);
      run(
        join(bin, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          'postgres',
          '-E',
          'UTF8',
          '--auth-local=peer',
          '--auth-host=scram-sha-256',
        ],
        { ...owner },
      );
    }
    ensureDir(this.socketDir(ctx), owner);
    spawnDaemon(ctx.paths, {
      name: PROCESS,
      command: join(bin, 'postgres'),
      args: [
        '-D',
        dataDir,
        '-c',
        `listen_addresses=${ctx.config.postgres.host}`,
        '-c',
        `port=${ctx.config.postgres.port}`,
        '-c',
        `unix_socket_directories=${this.socketDir(ctx)}`,
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=256MB',
      ],
      ...owner,
    });
    return 1;
  }

  async ready(ctx: StackContext): Promise<void> {
    const logFile = ctx.paths.logFile(PROCESS);
    const ours = runningPid(ctx.paths, PROCESS) !== undefined;
    if (ours) {
      await waitUntil(
        'postgres (accepting connections)',
        () => this.superuserSql(ctx, 'SELECT 1'),
        {
          timeoutMs: 60000,
          logFile,
        },
      );
      await this.bootstrap(ctx);
    }
    try {
      await waitUntil('postgres', () => query(ctx, 'SELECT 1'), {
        timeoutMs: ours ? 30000 : 5000,
        logFile,
      });
    } catch (e) {
      if (ours) throw e;
      // A server we did not start: create our role and database through its local socket.
      await this.bootstrap(ctx, '/var/run/postgresql');
      await waitUntil('postgres', () => query(ctx, 'SELECT 1'), { timeoutMs: 10000 });
    }
    await this.serviceRoles(ctx);
    // The users tables and the control plane's schema, and the roles' rights on them: here, before
    // the feature server (started next) logs anyone in and before `fstore users` can work, not
    // only when the control plane, started much later, migrates at boot.
    await migrateDatabase(ctx.config);
  }

  /**
   * The services' own roles (issue 20, finding 8), without a database of their own: the feature
   * server's and the control plane's runtime role, and the Prometheus exporter's (`pg_monitor`).
   * The services' rights come from the tables' owner, with the migrations.
   */
  private async serviceRoles(ctx: StackContext): Promise<void> {
    const port = ctx.config.postgres.port;
    const ours = existsSync(join(this.socketDir(ctx), `.s.PGSQL.${port}`));
    const socketDir = ours ? this.socketDir(ctx) : '/var/run/postgresql';
    for (const [setting, login] of Object.entries(ctx.config.postgresRoles)) {
      if (!login.password) throw new StackError(`postgres: no password for the ${setting} role`);
      // The exporter's role reads statistics and settings as a member of pg_monitor, nothing else.
      const monitor =
        setting === 'monitor' ? "SELECT format('GRANT pg_monitor TO %I', :'role') \\gexec\n" : '';
      const sql = `
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'pw') \\gexec
${monitor}`;
      await this.superuserSql(ctx, sql, socketDir, { role: login.user, pw: login.password });
    }
  }

  /** Creates (or updates) the project's role and database, as the server's superuser. */
  private bootstrap(ctx: StackContext, socketDir = this.socketDir(ctx)): Promise<void> {
    const pg = ctx.config.postgres;
    if (!pg.password) throw new StackError('postgres: FSTORE_PG_PASSWORD is not set');
    return this.roleAndDatabase(ctx, socketDir, pg.user, pg.password, pg.database);
  }

  private roleAndDatabase(
    ctx: StackContext,
    socketDir: string,
    role: string,
    pw: string,
    db: string,
  ): Promise<void> {
    // psql variables (:'x') quote the values; the SQL is not built from strings.
    const sql = `
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'pw') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
`;
    return this.superuserSql(ctx, sql, socketDir, { role, pw, db });
  }

  /**
   * Creates (or updates) another component's role and database (e.g. the Hive metastore's),
   * idempotently, as the server's superuser: through the stack's socket when this stack runs the
   * server, else through Debian's default socket.
   */
  ensureRoleAndDatabase(
    ctx: StackContext,
    spec: { role: string; password: string; database: string },
  ): Promise<void> {
    const port = ctx.config.postgres.port;
    const ours = existsSync(join(this.socketDir(ctx), `.s.PGSQL.${port}`));
    const socketDir = ours ? this.socketDir(ctx) : '/var/run/postgresql';
    return this.roleAndDatabase(ctx, socketDir, spec.role, spec.password, spec.database);
  }

  private superuserSql(
    ctx: StackContext,
    sql: string,
    socketDir = this.socketDir(ctx),
    vars: Record<string, string> = {},
  ): Promise<void> {
    const args = [
      '-h',
      socketDir,
      '-p',
      String(ctx.config.postgres.port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-qAt',
    ];
    for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
    const res = spawnSync('psql', args, { input: sql, encoding: 'utf8', ...serverOwner() });
    if (res.status !== 0) {
      return Promise.reject(new StackError(`postgres: psql failed: ${(res.stderr || '').trim()}`));
    }
    return Promise.resolve();
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const pid = runningPid(ctx.paths, PROCESS);
    const probed = await probe(() => query(ctx, 'SELECT 1'));
    const { healthy } = probed;
    const detail = probed.detail ?? (pid === undefined ? 'not started by this stack' : undefined);
    return [
      {
        component: this.name,
        process: PROCESS,
        pid,
        address: `${ctx.config.postgres.host}:${ctx.config.postgres.port}`,
        healthy,
        detail,
      },
    ];
  }

  async stop(ctx: StackContext): Promise<void> {
    // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed.
    await stopProcess(ctx.paths, PROCESS, 'SIGINT', 30000);
  }
}
