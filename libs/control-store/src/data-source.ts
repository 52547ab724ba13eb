import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FstoreConfig, PostgresLogin, postgresLogin } from '@fstore/config';
import { CONNECT_TIMEOUT_MS, poolErrorHandler } from '@fstore/postgres';
import { ENTITIES } from './entities';
import { Initial1764250000000 } from './migrations/1764250000000-initial';
import { FeatureVersions1764900000000 } from './migrations/1764900000000-feature-versions';
import { ApiKeyExpiry1764950000000 } from './migrations/1764950000000-api-key-expiry';
import { AuditAppendOnly1765000000000 } from './migrations/1765000000000-audit-append-only';
import { DropFeatureDefinitions1765100000000 } from './migrations/1765100000000-drop-feature-definitions';
import { AuthUsers1765200000000 } from './migrations/1765200000000-auth-users';
import { DeploymentStartedFrom1765300000000 } from './migrations/1765300000000-deployment-started-from';

export const MIGRATIONS = [
  Initial1764250000000,
  FeatureVersions1764900000000,
  ApiKeyExpiry1764950000000,
  AuditAppendOnly1765000000000,
  DropFeatureDefinitions1765100000000,
  AuthUsers1765200000000,
  DeploymentStartedFrom1765300000000,
];

const logger = new Logger('postgres');
const warn = (message: string) => logger.warn(message);

/**
 * The control plane's PostgreSQL connection, in its own schema (FSTORE_CONTROL_PG_SCHEMA): every
 * table is found through the search_path, so tests can use a throw-away schema. `login`: the
 * runtime role (FSTORE_PG_CONTROL_USER) by default; the project's role only to migrate.
 */
export function controlDataSource(
  config: FstoreConfig,
  schema = config.control.pgSchema,
  login: PostgresLogin = postgresLogin(config, 'control'),
) {
  return new DataSource({
    type: 'postgres',
    host: login.host,
    port: login.port,
    database: login.database,
    username: login.user,
    password: login.password,
    schema,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    // UUIDs come from gen_random_uuid() (PostgreSQL 13+ core): no extension in our schema.
    installExtensions: false,
    poolSize: 5,
    // A PostgreSQL restart closes the idle connections: logged, replaced on the next query.
    poolErrorHandler: poolErrorHandler('control pool', warn),
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    extra: { options: `-c search_path=${schema}` },
  });
}

/**
 * What the services' roles may do (issue 20, finding 8; docs/security.md), given by the tables'
 * owner after every migration (the tables a migration adds get theirs at once). The control
 * plane's runtime role reads and writes the tables it runs on, but the audit log only reads and
 * appends (no UPDATE, DELETE or TRUNCATE: the migration's trigger refuses the first two to
 * everyone), and never DDL or the migrations table; of the users tables it reads `auth_users`
 * only (the web console's sign-in with an e-mail and password, and each of that session's
 * requests checking the user is still there), never their login sessions. The feature server's
 * role reads the users (login, refresh) and keeps their sessions (login, refresh, logout); adding
 * or removing users stays the owner's (`fstore users`), and it gets nothing in the control
 * plane's schema. Names are identifiers checked when the configuration was loaded.
 */
export function grantsToServiceRoles(
  schema: string,
  roles: { control: string; serving: string },
): string[] {
  const { control, serving } = roles;
  return [
    `GRANT USAGE ON SCHEMA "${schema}" TO "${control}"`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${control}"`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${control}"`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON "${schema}".audit_log FROM "${control}"`,
    `REVOKE ALL ON "${schema}".migrations FROM "${control}"`,
    `GRANT SELECT ON public.auth_users TO "${control}"`,
    `GRANT SELECT ON public.auth_users TO "${serving}"`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON public.auth_sessions TO "${serving}"`,
  ];
}

/**
 * Creates the schema if needed, applies pending migrations (never synchronize) as the project's
 * role and grants the services' roles their rights: what the control plane does at boot, the
 * local stack once PostgreSQL is up (before the feature server may log anyone in) and
 * `fstore migrate`. Idempotent; concurrent callers on one schema wait for each other.
 */
export async function migrateDatabase(
  config: FstoreConfig,
  schema = config.control.pgSchema,
): Promise<void> {
  const client = new Client({ ...config.postgres, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', poolErrorHandler('migration connection', warn));
  await client.connect();
  try {
    // Several processes (API, workers) may start at once: one migrates, the others wait.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`fstore-control:${schema}`]);
    // The name was validated as an identifier when the configuration was loaded.
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const owner = controlDataSource(config, schema, { ...config.postgres });
    await owner.initialize();
    try {
      await owner.runMigrations({ transaction: 'each' });
    } finally {
      await owner.destroy();
    }
    const roles = {
      control: config.postgresRoles.control.user,
      serving: config.postgresRoles.serving.user,
    };
    for (const sql of grantsToServiceRoles(schema, roles)) await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Migrates (migrateDatabase), then connects as the control plane's runtime role. */
export async function openDatabase(
  config: FstoreConfig,
  schema = config.control.pgSchema,
): Promise<DataSource> {
  await migrateDatabase(config, schema);
  const ds = controlDataSource(config, schema);
  await ds.initialize();
  return ds;
}
