import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FstoreConfig } from '@fstore/config';
import { CONNECT_TIMEOUT_MS, poolErrorHandler } from '@fstore/postgres';
import { ENTITIES } from './entities';
import { Initial1764250000000 } from './migrations/1764250000000-initial';
import { FeatureVersions1764900000000 } from './migrations/1764900000000-feature-versions';
import { ApiKeyExpiry1764950000000 } from './migrations/1764950000000-api-key-expiry';

export const MIGRATIONS = [
  Initial1764250000000,
  FeatureVersions1764900000000,
  ApiKeyExpiry1764950000000,
];

const logger = new Logger('postgres');
const warn = (message: string) => logger.warn(message);

/**
 * The control plane's PostgreSQL connection, in its own schema (FSTORE_CONTROL_PG_SCHEMA): every
 * table is found through the search_path, so tests can use a throw-away schema.
 */
export function controlDataSource(config: FstoreConfig, schema = config.control.pgSchema) {
  return new DataSource({
    type: 'postgres',
    host: config.postgres.host,
    port: config.postgres.port,
    database: config.postgres.database,
    username: config.postgres.user,
    password: config.postgres.password,
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

/** Creates the schema if needed, connects and applies pending migrations (never synchronize). */
export async function openDatabase(
  config: FstoreConfig,
  schema = config.control.pgSchema,
): Promise<DataSource> {
  const client = new Client({ ...config.postgres, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', poolErrorHandler('migration connection', warn));
  await client.connect();
  try {
    // Several processes (API, workers) may start at once: one migrates, the others wait.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`fstore-control:${schema}`]);
    // The name was validated as an identifier when the configuration was loaded.
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const ds = controlDataSource(config, schema);
    await ds.initialize();
    try {
      await ds.runMigrations({ transaction: 'each' });
    } catch (e) {
      await ds.destroy();
      throw e;
    }
    return ds;
  } finally {
    await client.end();
  }
}
