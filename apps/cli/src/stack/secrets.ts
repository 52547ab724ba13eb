import { randomBytes } from 'crypto';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { parseEnvFile, secretsFile } from '@fstore/config';
import { ensureDir } from './processes';

const GENERATED_SECRETS = [
  'FSTORE_PG_PASSWORD',
  'FSTORE_PG_SERVING_PASSWORD',
  'FSTORE_PG_CONTROL_PASSWORD',
  'FSTORE_PG_MONITOR_PASSWORD',
  'FSTORE_REDIS_ADMIN_PASSWORD',
  'FSTORE_REDIS_REPLICATION_PASSWORD',
  'FSTORE_REDIS_SERVER_PASSWORD',
  'FSTORE_REDIS_WRITER_PASSWORD',
  'FSTORE_REDIS_BATCH_PASSWORD',
  'FSTORE_REDIS_CONTROL_PASSWORD',
  'FSTORE_REDIS_METRICS_PASSWORD',
  'FSTORE_REDIS_QUEUE_PASSWORD',
  'FSTORE_KAFKA_BROKER_PASSWORD',
  'FSTORE_KAFKA_ADMIN_PASSWORD',
  'FSTORE_KAFKA_PRODUCER_PASSWORD',
  'FSTORE_KAFKA_FLINK_PASSWORD',
  'FSTORE_KAFKA_WRITER_PASSWORD',
  'FSTORE_KAFKA_INGEST_PASSWORD',
  'FSTORE_KAFKA_SERVER_PASSWORD',
  'FSTORE_AUTH_SECRET',
  'FSTORE_CONSOLE_SECRET',
  'FSTORE_HIVE_METASTORE_PASSWORD',
  'FSTORE_LIVY_TOKEN',
  'FSTORE_FLINK_TLS_STORE_PASSWORD',
  'FSTORE_PROMETHEUS_PASSWORD',
  'FSTORE_JAEGER_PASSWORD',
  'FSTORE_AIRFLOW_DB_PASSWORD',
  'FSTORE_AIRFLOW_ADMIN_PASSWORD',
  'FSTORE_AIRFLOW_JWT_SECRET',
  'FSTORE_AIRFLOW_FERNET_KEY',
] as const;

/** A secret's value: hex, URL- and shell-safe; a Fernet key is 32 bytes in url-safe base64. */
function generate(name: (typeof GENERATED_SECRETS)[number]): string {
  if (name === 'FSTORE_AIRFLOW_FERNET_KEY') {
    return randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  }
  return randomBytes(18).toString('hex');
}

function readSecrets(stackDir: string): Record<string, string> {
  const file = secretsFile(stackDir);
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

function writeSecrets(stackDir: string, secrets: Record<string, string>): void {
  ensureDir(stackDir);
  const text =
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n';
  writeFileSync(secretsFile(stackDir), text, { mode: 0o600 });
}

/**
 * Secrets never live in the repo: the environment wins; otherwise the local stack generates them
 * once into <stack>/secrets.env (mode 600), which every part of the project reads.
 */
export function ensureSecrets(stackDir: string): void {
  const existing = readSecrets(stackDir);
  const missing = GENERATED_SECRETS.filter((n) => !process.env[n] && !existing[n]);
  if (missing.length === 0) return;
  for (const name of missing) existing[name] = generate(name);
  writeSecrets(stackDir, existing);
}

/** Records one secret the stack made (e.g. an API key a service issued) in secrets.env. */
export function storeSecret(stackDir: string, name: string, value: string): void {
  writeSecrets(stackDir, { ...readSecrets(stackDir), [name]: value });
}

export function storedSecret(stackDir: string, name: string): string | undefined {
  return readSecrets(stackDir)[name];
}
