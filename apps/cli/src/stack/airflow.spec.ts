import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { airflowDatabaseUrl, airflowEnv, airflowTestEnv, AirflowComponent } from './airflow';
import { StackPaths } from './processes';

describe("the environment of the stack's Airflow processes", () => {
  const config = loadConfig({
    FSTORE_STACK_DIR: '/tmp/fstore-airflow-spec',
    FSTORE_AIRFLOW_DB_PASSWORD: 'p@ss/word',
    FSTORE_AIRFLOW_ADMIN_PASSWORD: 'admin-secret',
    FSTORE_AIRFLOW_JWT_SECRET: 'jwt-secret',
    FSTORE_AIRFLOW_FERNET_KEY: 'fernet-key',
    FSTORE_API_KEY: 'operator-key',
  });
  const ctx = { config, paths: new StackPaths(config.stackDir), log: () => undefined };

  it('LocalExecutor on PostgreSQL (its own role and database, password URL-encoded), loopback API', () => {
    const env = airflowEnv(ctx);
    expect(env).toMatchObject({
      AIRFLOW_HOME: '/tmp/fstore-airflow-spec/data/airflow',
      AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
      AIRFLOW__CORE__PARALLELISM: '4',
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:
        'postgresql+psycopg2://fstore_airflow:p%40ss%2Fword@127.0.0.1:5432/fstore_airflow',
      AIRFLOW__API__HOST: '127.0.0.1',
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: 'http://127.0.0.1:8080/execution/',
      AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE: 'True',
      AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: 'True',
      AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: 'admin:admin',
      AIRFLOW__API_AUTH__JWT_SECRET: 'jwt-secret',
      AIRFLOW__CORE__FERNET_KEY: 'fernet-key',
      PYTHONPATH: join(PROJECT_ROOT, 'airflow-dags'),
    });
    expect(JSON.parse(env.AIRFLOW_CONN_FSTORE_CONTROL)).toEqual({
      conn_type: 'http',
      host: '127.0.0.1',
      port: 8090,
      schema: 'http',
      password: 'operator-key',
    });
    // The admin password reaches Airflow through its password file only.
    expect(Object.values(env).some((v) => v.includes('admin-secret'))).toBe(false);
  });

  it('refuses to start without its generated secrets', () => {
    const bare = loadConfig({ FSTORE_STACK_DIR: '/tmp/fstore-airflow-spec-empty' });
    expect(() => airflowDatabaseUrl(bare)).toThrow(/FSTORE_AIRFLOW_DB_PASSWORD/);
    const noJwt = { ...ctx, config: { ...config, airflow: { ...config.airflow, jwtSecret: '' } } };
    expect(() => airflowEnv(noJwt)).toThrow(/JWT_SECRET/);
  });

  it("the DAG tests use a SQLite home of their own, never the stack's database", () => {
    const env = airflowTestEnv(ctx);
    expect(env.AIRFLOW_HOME).toBe('/tmp/fstore-airflow-spec/data/airflow-dag-tests');
    expect(env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).toBe(
      'sqlite:////tmp/fstore-airflow-spec/data/airflow-dag-tests/airflow.db',
    );
  });

  it('four supervised processes, logs under `fstore stack logs airflow`', () => {
    expect(new AirflowComponent().processNames()).toEqual([
      'airflow-api-server',
      'airflow-scheduler',
      'airflow-dag-processor',
      'airflow-triggerer',
    ]);
  });
});
