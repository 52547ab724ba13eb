import { createHash } from 'crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { download, ensureDir, run, StackError } from './processes';

export const AIRFLOW_VERSION = '3.3.2';
/** What the venv installs; every transitive version comes from the committed constraints file. */
const PACKAGES = [
  `apache-airflow==${AIRFLOW_VERSION}`,
  'apache-airflow-providers-http==6.3.0',
  'apache-airflow-providers-apache-livy==4.6.4',
  // The DAG tests (airflow-dags/tests) run with this venv's Python.
  'pytest==9.2.0',
];
const CONSTRAINTS = join(PROJECT_ROOT, 'stack', 'airflow', 'constraints.txt');

/** Airflow's own virtual environment, in the cache (keyed by the constraints file). */
export function airflowVenv(ctx: StackContext) {
  const root = join(ctx.config.cacheDir, `airflow-${AIRFLOW_VERSION}`, 'venv');
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

/**
 * The environment of every Airflow command (CLI, `airflow dags test`, the DAG tests): home and
 * SQLite database under <stack>/data/airflow, the DAG folder airflow-dags/, no examples, and the
 * connections the DAGs use, derived from the fstore settings.
 */
export function airflowEnv(ctx: StackContext): Record<string, string> {
  const { livy, serving, control } = ctx.config;
  const livyPort = Number(new URL(livy.url).port || 80);
  const servingUrl = new URL(serving.url);
  const controlUrl = new URL(control.url);
  return {
    AIRFLOW_HOME: airflowHome(ctx),
    AIRFLOW__CORE__DAGS_FOLDER: join(PROJECT_ROOT, 'airflow-dags'),
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(airflowHome(ctx), 'logs'),
    AIRFLOW_CONN_FSTORE_SERVING: httpConnection(servingUrl.hostname, Number(servingUrl.port || 80)),
    AIRFLOW_CONN_LIVY_DEFAULT: httpConnection(new URL(livy.url).hostname, livyPort),
    // The control plane's operator key rides in the connection's password (masked in logs).
    AIRFLOW_CONN_FSTORE_CONTROL: httpConnection(
      controlUrl.hostname,
      Number(controlUrl.port || 80),
      control.apiKey,
    ),
  };
}

/**
 * Airflow 3 for the batch DAGs, no long-running process: its own venv (pinned by
 * stack/airflow/constraints.txt), its metadata database (SQLite) migrated under
 * <stack>/data/airflow. DAGs run with `airflow dags test`; a scheduler is not part of the local
 * stack yet.
 */
export class AirflowComponent implements StackComponent {
  readonly name = 'airflow';

  processNames(): string[] {
    return [];
  }

  private digest(): string {
    const text = readFileSync(CONSTRAINTS, 'utf8') + PACKAGES.join('\n');
    return createHash('sha256').update(text).digest('hex');
  }

  async install(ctx: StackContext): Promise<void> {
    const venv = airflowVenv(ctx);
    const digest = this.digest();
    if (existsSync(venv.complete) && readFileSync(venv.complete, 'utf8').trim() === digest) return;
    ctx.log(`airflow: installing Airflow ${AIRFLOW_VERSION} into ${venv.root} (a few minutes)`);
    // A venv cannot be moved (its scripts carry its path): build in place, mark complete last.
    rmSync(venv.root, { recursive: true, force: true });
    run('python3', ['-m', 'venv', venv.root]);
    await download(
      {
        what: `airflow: Airflow ${AIRFLOW_VERSION} and its dependencies from PyPI`,
        size: '~310 MB installed, a few minutes',
        log: ctx.log,
      },
      join(venv.root, 'bin', 'pip'),
      ['install', '-q', ...PACKAGES, '-c', CONSTRAINTS],
    );
    writeFileSync(venv.complete, digest + '\n');
  }

  async start(): Promise<number> {
    return 0;
  }

  /** Migrates Airflow's metadata database (once per Airflow version and home). */
  async ready(ctx: StackContext): Promise<void> {
    const home = ensureDir(airflowHome(ctx));
    const stamp = join(home, '.migrated');
    const digest = this.digest();
    if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) return;
    ctx.log(`airflow: migrating the metadata database in ${home}`);
    const venv = airflowVenv(ctx);
    try {
      run(venv.airflow, ['db', 'migrate'], { env: { ...process.env, ...airflowEnv(ctx) } });
    } catch (e) {
      throw new StackError(`airflow: db migrate failed: ${(e as Error).message}`);
    }
    writeFileSync(stamp, digest + '\n');
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const venv = airflowVenv(ctx);
    let detail: string | undefined;
    if (!existsSync(venv.complete)) detail = 'not installed';
    else if (!existsSync(join(airflowHome(ctx), '.migrated'))) detail = 'database not migrated';
    return [
      {
        component: this.name,
        process: 'airflow (CLI, dags test)',
        address: `dags: airflow-dags/, home: ${airflowHome(ctx)}`,
        healthy: !detail,
        detail,
      },
    ];
  }

  async stop(): Promise<void> {
    // Nothing runs.
  }
}
