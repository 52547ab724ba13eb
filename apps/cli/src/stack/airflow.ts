import { createHash } from 'crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { FstoreConfig, loadConfig, PROJECT_ROOT } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { PostgresComponent } from './postgres';
import {
  download,
  ensureDir,
  run,
  runningPid,
  sleep,
  spawnDaemon,
  StackError,
  stopProcess,
  writeIfChanged,
} from './processes';
import { asServiceUser, sharedWorkDir } from './service-user';
import { VERSIONS } from './versions';

export const AIRFLOW_VERSION = VERSIONS.airflow;
/** What the venv installs; every transitive version comes from the committed constraints file. */
const PACKAGES = [
  `apache-airflow==${AIRFLOW_VERSION}`,
  // The providers, and the PostgreSQL drivers of the metadata database (sync psycopg2, async asyncpg).
  ...Object.entries(VERSIONS.airflowPackages).map(([name, version]) => `${name}==${version}`),
  // The DAG tests (airflow-dags/tests) run with this venv's Python.
  'pytest==9.2.0',
];
const CONSTRAINTS = join(PROJECT_ROOT, 'stack', 'airflow', 'constraints.txt');
export const DAG_FOLDER = join(PROJECT_ROOT, 'airflow-dags');

/**
 * Airflow 3's long-running processes, each a supervised stack process (pid file, log
 * `<stack>/logs/<name>.log`): the API server (UI, REST API, the tasks' execution API), the
 * scheduler (with the LocalExecutor's task processes), the DAG processor (parses airflow-dags/)
 * and the triggerer (runs the deferred sensors' triggers). `key` is the process's name in Airflow's
 * /api/v2/monitor/health answer.
 */
const PROCESSES = [
  { name: 'airflow-api-server', command: 'api-server', key: undefined },
  { name: 'airflow-scheduler', command: 'scheduler', key: 'scheduler' },
  { name: 'airflow-dag-processor', command: 'dag-processor', key: 'dag_processor' },
  { name: 'airflow-triggerer', command: 'triggerer', key: 'triggerer' },
] as const;

function digest(): string {
  const text = readFileSync(CONSTRAINTS, 'utf8') + PACKAGES.join('\n');
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Airflow's own virtual environment in the cache, one per package set (the digest of the pins and
 * the constraints file is in its path): checkouts with different pins each keep theirs instead of
 * rebuilding one another's.
 */
export function airflowVenv(ctx: StackContext) {
  const root = join(
    ctx.config.cacheDir,
    `airflow-${AIRFLOW_VERSION}`,
    `venv-${digest().slice(0, 12)}`,
  );
  return {
    root,
    python: join(root, 'bin', 'python'),
    airflow: join(root, 'bin', 'airflow'),
    complete: join(root, '.complete'),
  };
}

export function airflowHome(ctx: StackContext): string {
  return ctx.paths.data('airflow');
}

/** An Airflow connection given in the environment (AIRFLOW_CONN_<ID>, JSON form). */
function httpConnection(host: string, port: number, password?: string): string {
  return JSON.stringify({ conn_type: 'http', host, port, schema: 'http', password });
}

/** The connections every DAG uses, derived from the fstore settings. */
export function airflowConnections(config: FstoreConfig): Record<string, string> {
  const { livy, serving, control } = config;
  const livyUrl = new URL(livy.url);
  const servingUrl = new URL(serving.url);
  const controlUrl = new URL(control.url);
  return {
    AIRFLOW_CONN_FSTORE_SERVING: httpConnection(servingUrl.hostname, Number(servingUrl.port || 80)),
    AIRFLOW_CONN_LIVY_DEFAULT: httpConnection(livyUrl.hostname, Number(livyUrl.port || 80)),
    // The control plane's operator key rides in the connection's password (masked in logs).
    AIRFLOW_CONN_FSTORE_CONTROL: httpConnection(
      controlUrl.hostname,
      Number(controlUrl.port || 80),
      control.apiKey,
    ),
  };
}

/** SQLAlchemy URL of Airflow's metadata database: its own database and role in the stack's PG. */
export function airflowDatabaseUrl(config: FstoreConfig): string {
  const { host, port } = config.postgres;
  const { database, user, password } = config.airflow.db;
  if (!password) throw new StackError('airflow: FSTORE_AIRFLOW_DB_PASSWORD is not set');
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `postgresql+psycopg2://${auth}@${host}:${port}/${encodeURIComponent(database)}`;
}

/**
 * The spawn options of an `airflow` command of the stack's Airflow (`db migrate`, `dags
 * trigger`, …): airflowEnv, as the service user when root runs it, so that the files it writes
 * in Airflow's home (logs, airflow.cfg) are the processes' as well.
 */
export function airflowCommandOptions(ctx: StackContext): {
  uid?: number;
  gid?: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
} {
  const cwd = ensureDir(airflowHome(ctx));
  return { ...asServiceUser(ctx.paths.root, { ...process.env, ...airflowEnv(ctx) }), cwd };
}

/**
 * The files root's CLI keeps in Airflow's home (the rest is the processes'). Not the password
 * file: root writes it (a new file each time, writeIfChanged), but the API server opens it for
 * writing (r+, a+: it locks it and adds a password for a user without one), so it is handed to
 * the service user, mode 600.
 */
const ROOT_FILES = ['.migrated', '.control-key.sha256', '.unpaused'];

/**
 * Airflow's home for the service user (service-user.ts): the stack's stamps root's; the password
 * file, logs, airflow.cfg and the rest the processes'.
 */
function shareHome(ctx: StackContext): void {
  sharedWorkDir(airflowHome(ctx), ROOT_FILES);
}

function passwordsFile(ctx: StackContext): string {
  return join(airflowHome(ctx), 'simple_auth_manager_passwords.json');
}

/**
 * The environment of every process and command of the stack's Airflow (the four processes, the
 * `airflow` CLI: `backfill create`, `dags trigger`, …): home under <stack>/data/airflow, metadata
 * in PostgreSQL, LocalExecutor, the DAG folder airflow-dags/ (also on PYTHONPATH, so that the
 * triggerer imports fstore_control's trigger), sensors deferred to the triggerer, the simple auth
 * manager with one admin user whose password is FSTORE_AIRFLOW_ADMIN_PASSWORD, and the
 * connections the DAGs use.
 */
export function airflowEnv(ctx: StackContext): Record<string, string> {
  const { airflow, host } = ctx.config;
  const home = airflowHome(ctx);
  const secrets: Record<string, string | undefined> = {
    AIRFLOW__API_AUTH__JWT_SECRET: airflow.jwtSecret,
    AIRFLOW__CORE__FERNET_KEY: airflow.fernetKey,
  };
  for (const [name, value] of Object.entries(secrets)) {
    if (!value) throw new StackError(`airflow: ${name} has no value (FSTORE_AIRFLOW_* secrets)`);
  }
  return {
    AIRFLOW_HOME: home,
    PYTHONPATH: DAG_FOLDER,
    AIRFLOW__CORE__DAGS_FOLDER: DAG_FOLDER,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
    AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
    AIRFLOW__CORE__PARALLELISM: String(airflow.parallelism),
    AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: 'True',
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `${airflow.url}/execution/`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${airflow.admin.user}:admin`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: passwordsFile(ctx),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: airflowDatabaseUrl(ctx.config),
    AIRFLOW__API__HOST: host,
    AIRFLOW__API__PORT: String(airflow.port),
    AIRFLOW__API__BASE_URL: airflow.url,
    AIRFLOW__API__WORKERS: '1',
    AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES: '1',
    // Re-parse each DAG file every 2 minutes, not every 30 s: on 2 cores the idle parsing showed.
    AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: '120',
    // Heartbeats older than this make a process unhealthy (stack status, stack up's wait): 30 s
    // by default, which a busy 2-core machine (Spark beside it) overruns without anything wrong.
    AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD: '90',
    AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD: '90',
    AIRFLOW__DAG_PROCESSOR__HEALTH_CHECK_THRESHOLD: '90',
    // A sensor waiting for a Spark run gives its worker slot back: the triggerer polls the run.
    AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE: 'True',
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(home, 'logs'),
    ...(secrets as Record<string, string>),
    ...airflowConnections(ctx.config),
  };
}

/**
 * The environment of the DAG tests (airflow-dags/tests, `airflow dags test` against stand-ins):
 * a home of their own with a SQLite database, so that they never touch the running stack's
 * metadata (the scheduler would pick their runs up).
 */
export function airflowTestEnv(ctx: StackContext): Record<string, string> {
  const home = ctx.paths.data('airflow-dag-tests');
  return {
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: DAG_FOLDER,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, 'airflow.db')}`,
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(home, 'logs'),
    ...airflowConnections(ctx.config),
  };
}

/** Migrates the DAG tests' SQLite database (a no-op when it is current). */
export function migrateTestDatabase(ctx: StackContext): void {
  ensureDir(ctx.paths.data('airflow-dag-tests'));
  run(airflowVenv(ctx).airflow, ['db', 'migrate'], {
    env: { ...process.env, ...airflowTestEnv(ctx) },
  });
}

/** A token of Airflow's REST API for the admin user (POST /auth/token). */
export async function airflowToken(config: FstoreConfig): Promise<string> {
  const res = await fetch(`${config.airflow.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: config.airflow.admin.user,
      password: config.airflow.admin.password,
    }),
    signal: AbortSignal.timeout(10000),
  });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`POST /auth/token answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { access_token: string }).access_token;
}

interface HealthInfo {
  metadatabase: { status: string };
  scheduler: { status: string | null };
  triggerer: { status: string | null };
  dag_processor?: { status: string | null } | null;
}

/** Airflow's own health report: the database and each process's heartbeat. */
async function health(config: FstoreConfig): Promise<HealthInfo> {
  const res = await fetch(`${config.airflow.url}/api/v2/monitor/health`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`/api/v2/monitor/health answered ${res.status}`);
  return (await res.json()) as HealthInfo;
}

function processHealth(info: HealthInfo, key: string | undefined): string | undefined {
  if (key === undefined) {
    return info.metadatabase.status === 'healthy' ? undefined : 'metadata database unhealthy';
  }
  const status = (info as unknown as Record<string, { status: string | null } | null>)[key]?.status;
  return status === 'healthy' ? undefined : `heartbeat ${status ?? 'never seen'}`;
}

/**
 * Airflow 3 for the batch DAGs: its own venv (pinned by stack/airflow/constraints.txt), a
 * database and role of its own in the stack's PostgreSQL (migrated before the processes start),
 * and the scheduler (LocalExecutor), API server (UI and REST API on FSTORE_AIRFLOW_PORT), DAG
 * processor and triggerer as supervised processes. The DAGs of FSTORE_AIRFLOW_UNPAUSED_DAGS are
 * switched on the first time the stack sees them.
 */
export class AirflowComponent implements StackComponent {
  readonly name = 'airflow';
  readonly dependsOn = ['postgres'] as const;

  processNames(): string[] {
    return PROCESSES.map((p) => p.name);
  }

  async install(ctx: StackContext): Promise<void> {
    const venv = airflowVenv(ctx);
    if (existsSync(venv.complete)) return;
    ctx.log(`airflow: installing Airflow ${AIRFLOW_VERSION} into ${venv.root} (a few minutes)`);
    // A venv cannot be moved (its scripts carry its path): build in place, mark complete last.
    rmSync(venv.root, { recursive: true, force: true });
    run('python3', ['-m', 'venv', venv.root]);
    await download(
      {
        what: `airflow: Airflow ${AIRFLOW_VERSION} and its dependencies from PyPI`,
        size: '~320 MB installed, a few minutes',
        log: ctx.log,
        into: [venv.root],
      },
      join(venv.root, 'bin', 'pip'),
      ['install', '-q', ...PACKAGES, '-c', CONSTRAINTS],
    );
    writeFileSync(venv.complete, digest() + '\n');
  }

  /**
   * Airflow's role and database (idempotent, as the server's superuser), then `airflow db
   * migrate` once per package set and database.
   */
  private async prepareDatabase(ctx: StackContext): Promise<void> {
    const home = ensureDir(airflowHome(ctx));
    const { db } = ctx.config.airflow;
    if (!db.password) throw new StackError('airflow: FSTORE_AIRFLOW_DB_PASSWORD is not set');
    await new PostgresComponent().ensureRoleAndDatabase(ctx, {
      role: db.user,
      password: db.password,
      database: db.database,
    });
    const stamp = join(home, '.migrated');
    const want = `${digest()} ${ctx.config.postgres.host}:${ctx.config.postgres.port}/${db.database}`;
    if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return;
    ctx.log(`airflow: migrating the metadata database ${db.database}`);
    // As the processes will run: what the migration leaves in Airflow's home is theirs.
    shareHome(ctx);
    try {
      run(airflowVenv(ctx).airflow, ['db', 'migrate'], airflowCommandOptions(ctx));
    } catch (e) {
      throw new StackError(`airflow: db migrate failed: ${(e as Error).message}`);
    }
    writeIfChanged(stamp, want + '\n');
  }

  /** The simple auth manager's password file (plain text, as Airflow reads it): mode 600. */
  private writePasswords(ctx: StackContext): void {
    const { admin } = ctx.config.airflow;
    if (!admin.password) throw new StackError('airflow: FSTORE_AIRFLOW_ADMIN_PASSWORD is not set');
    const file = passwordsFile(ctx);
    writeIfChanged(file, JSON.stringify({ [admin.user]: admin.password }) + '\n', 0o600);
  }

  /** Where start() records which control-plane API key the running processes were given. */
  private keyStamp(ctx: StackContext): string {
    return join(airflowHome(ctx), '.control-key.sha256');
  }

  async start(ctx: StackContext): Promise<number> {
    // The settings as of now: the control plane (started just before) may have issued a new
    // operator key into secrets.env since this command loaded its configuration.
    const current = { ...ctx, config: loadConfig() };
    const keyDigest = createHash('sha256')
      .update(current.config.control.apiKey ?? '')
      .digest('hex');
    const running = PROCESSES.filter((p) => runningPid(ctx.paths, p.name) !== undefined);
    const stamp = this.keyStamp(ctx);
    const stampedKey = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
    if (running.length > 0 && stampedKey !== keyDigest) {
      // The DAGs' connection carries the key in the processes' environment: restart them all.
      ctx.log('airflow: the control plane API key changed; restarting Airflow with the new one');
      await this.stop(ctx);
    }
    const missing = PROCESSES.filter((p) => runningPid(ctx.paths, p.name) === undefined);
    if (missing.length === 0) return 0;
    await this.prepareDatabase(current);
    this.writePasswords(current);
    const venv = airflowVenv(ctx);
    const env = { ...process.env, ...airflowEnv(current) };
    ensureDir(airflowHome(ctx));
    writeIfChanged(stamp, keyDigest + '\n');
    shareHome(ctx);
    for (const p of missing) {
      const args: string[] = [p.command];
      if (p.command === 'api-server') {
        args.push('--host', current.config.host, '--port', String(current.config.airflow.port));
      }
      // Their log servers would listen on every interface (8793/8794, no host setting); the API
      // server on this machine reads the task and trigger logs from the log folder instead.
      if (p.command === 'scheduler' || p.command === 'triggerer') args.push('--skip-serve-logs');
      spawnDaemon(ctx.paths, {
        name: p.name,
        command: venv.airflow,
        args,
        env,
        cwd: airflowHome(ctx),
        // The console script runs as `<venv>/bin/python <venv>/bin/airflow <command>`; some of
        // them rename themselves (setproctitle: `airflow api_server -- host:… port:…`).
        match: [`${venv.airflow}\0${p.command}`, `airflow ${p.command.replace('-', '_')} `],
      });
    }
    return missing.length;
  }

  async ready(ctx: StackContext): Promise<void> {
    const deadline = Date.now() + 180000;
    let last = 'not checked yet';
    for (;;) {
      const dead = PROCESSES.find((p) => runningPid(ctx.paths, p.name) === undefined);
      if (dead) {
        throw new StackError(
          `${dead.name} is not running; see its log: ${ctx.paths.logFile(dead.name)}`,
        );
      }
      try {
        const info = await health(ctx.config);
        const unhealthy = PROCESSES.map((p) => [p.name, processHealth(info, p.key)]).filter(
          ([, problem]) => problem,
        );
        if (unhealthy.length === 0) break;
        last = unhealthy.map(([n, problem]) => `${n}: ${problem}`).join(', ');
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) {
        throw new StackError(
          `airflow did not become healthy within 180s (${last}); see ${ctx.paths.logs}/airflow-*.log`,
        );
      }
      await sleep(1000);
    }
    await this.unpauseOnce(ctx);
  }

  /**
   * Switches on the DAGs of FSTORE_AIRFLOW_UNPAUSED_DAGS the first time the stack finds them
   * parsed (recorded in <airflow home>/.unpaused): a DAG paused later in the UI stays paused.
   */
  private async unpauseOnce(ctx: StackContext): Promise<void> {
    const record = join(airflowHome(ctx), '.unpaused');
    const done = new Set(
      existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [],
    );
    const todo = ctx.config.airflow.unpausedDags.filter((d) => !done.has(d));
    if (todo.length === 0) return;
    const token = await airflowToken(ctx.config);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const deadline = Date.now() + 120000;
    for (const dag of todo) {
      for (;;) {
        const res = await fetch(
          `${ctx.config.airflow.url}/api/v2/dags/${encodeURIComponent(dag)}`,
          {
            method: 'PATCH',
            headers,
            body: JSON.stringify({ is_paused: false }),
            signal: AbortSignal.timeout(10000),
          },
        );
        if (res.ok) break;
        // 404 until the DAG processor has parsed the file for the first time.
        if (res.status !== 404 || Date.now() > deadline) {
          throw new StackError(
            `airflow: unpausing ${dag} answered ${res.status}: ${await res.text()}`,
          );
        }
        await sleep(2000);
      }
      done.add(dag);
      writeIfChanged(record, [...done].join('\n') + '\n');
      ctx.log(`airflow: DAG ${dag} switched on (scheduled from now on)`);
    }
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    let info: HealthInfo | undefined;
    let error: string | undefined;
    try {
      info = await health(ctx.config);
    } catch (e) {
      error = (e as Error).message;
    }
    return PROCESSES.map((p) => {
      const pid = runningPid(ctx.paths, p.name);
      const detail = pid === undefined ? 'not running' : info ? processHealth(info, p.key) : error;
      return {
        component: this.name,
        process: p.name,
        pid,
        address:
          p.command === 'api-server'
            ? `${ctx.config.airflow.url} (UI, /api/v2; user ${ctx.config.airflow.admin.user})`
            : `Airflow ${AIRFLOW_VERSION}, dags: airflow-dags/`,
        healthy: !detail,
        detail,
      };
    });
  }

  async stop(ctx: StackContext): Promise<void> {
    // The API server last: running tasks report their end to it.
    for (const p of [...PROCESSES].reverse()) {
      await stopProcess(ctx.paths, p.name, 'SIGTERM', 30000, { group: true });
    }
  }
}
