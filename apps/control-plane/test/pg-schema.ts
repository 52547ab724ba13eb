import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FstoreConfig, loadConfig } from '@fstore/config';
import { JobEntity, JobVersionEntity, openDatabase } from '@fstore/control-store';

/**
 * The control plane's tables in a throw-away PostgreSQL schema (migrated as the app migrates
 * them, used as the runtime role), for the medium tests of the repositories: PostgreSQL only,
 * no control plane. The schema is dropped afterwards.
 */
export class ThrowAwaySchema {
  readonly schema = `control_t_${randomUUID().slice(0, 8)}`;
  config!: FstoreConfig;
  db!: DataSource;

  async start(): Promise<void> {
    this.config = loadConfig();
    this.db = await openDatabase(this.config, this.schema);
  }

  async stop(): Promise<void> {
    await this.db?.destroy();
    const client = new Client({ ...this.config.postgres });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }

  /** Registers a job and its versions 1..n (deployments and runs refer to them). */
  async job(name: string, kind: 'flink-sql' | 'pyspark', versions = 1): Promise<void> {
    await this.db
      .getRepository(JobEntity)
      .insert({ name, kind, description: '', createdBy: 'key:test' });
    for (let version = 1; version <= versions; version++) {
      await this.db.getRepository(JobVersionEntity).insert({
        jobName: name,
        version,
        source: kind === 'flink-sql' ? 'flink-sql/transactions.sql' : 'spark-jobs/x.py',
        content: `-- version ${version}`,
        sha256: 'x'.repeat(64),
        parameters: {},
        createdBy: 'key:test',
      });
    }
  }
}

/** Whether the promise is still pending after `ms` (a statement waiting for a row lock). */
export async function stillWaiting(p: Promise<unknown>, ms = 500): Promise<boolean> {
  const pending = Symbol('pending');
  const first = await Promise.race([
    p.then(() => undefined),
    new Promise((r) => setTimeout(() => r(pending), ms)),
  ]);
  return first === pending;
}
