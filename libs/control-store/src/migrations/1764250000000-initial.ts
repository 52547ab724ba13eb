import { MigrationInterface, QueryRunner } from 'typeorm';

/** The control plane's first schema. Tables are created in the connection's search_path schema. */
export class Initial1764250000000 implements MigrationInterface {
  name = 'Initial1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE feature_definitions (
        name         text PRIMARY KEY,
        entity       text NOT NULL,
        key_template text NOT NULL,
        type         text NOT NULL,
        engine       text NOT NULL CHECK (engine IN ('stream', 'batch')),
        produced_by  text NOT NULL,
        description  text NOT NULL,
        synced_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE jobs (
        name        text PRIMARY KEY,
        kind        text NOT NULL CHECK (kind IN ('flink-sql', 'pyspark')),
        description text NOT NULL DEFAULT '',
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE job_versions (
        id         bigserial PRIMARY KEY,
        job_name   text NOT NULL REFERENCES jobs (name),
        version    int NOT NULL,
        source     text NOT NULL,
        content    text NOT NULL,
        sha256     text NOT NULL,
        parameters jsonb NOT NULL DEFAULT '{}',
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (job_name, version)
      )`);
    // A version is what was deployed: it never changes.
    await q.query(`
      CREATE FUNCTION job_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'job_versions are immutable (job %, version %)', OLD.job_name, OLD.version;
      END $$`);
    await q.query(`
      CREATE TRIGGER job_versions_no_update BEFORE UPDATE ON job_versions
      FOR EACH ROW EXECUTE FUNCTION job_versions_immutable()`);
    await q.query(`
      CREATE TABLE deployments (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_name             text NOT NULL REFERENCES jobs (name),
        version              int NOT NULL,
        desired_state        text NOT NULL CHECK (desired_state IN ('running', 'paused', 'cancelled')),
        observed_state       text NOT NULL DEFAULT 'NONE',
        observed_at          timestamptz,
        flink_job_id         text,
        last_savepoint       text,
        restarts             int NOT NULL DEFAULT 0,
        drift                text,
        drift_at             timestamptz,
        pending_operation_id uuid,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (job_name, version) REFERENCES job_versions (job_name, version)
      )`);
    // At most one live (not cancelled) deployment per job.
    await q.query(`
      CREATE UNIQUE INDEX deployments_one_live_per_job ON deployments (job_name)
      WHERE desired_state <> 'cancelled'`);
    await q.query(`
      CREATE TABLE operations (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        idempotency_key text UNIQUE,
        kind            text NOT NULL,
        target          text NOT NULL,
        request         jsonb NOT NULL,
        status          text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        attempts        int NOT NULL DEFAULT 0,
        progress        jsonb NOT NULL DEFAULT '{}',
        result          jsonb,
        error           text,
        actor           text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz
      )`);
    await q.query(`CREATE INDEX operations_unfinished ON operations (created_at)
      WHERE status IN ('queued', 'running')`);
    await q.query(`
      CREATE TABLE batch_runs (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_name      text NOT NULL,
        version       int NOT NULL,
        args          jsonb NOT NULL DEFAULT '[]',
        as_of         timestamptz,
        livy_batch_id int,
        state         text NOT NULL,
        livy_state    text,
        log_tail      text,
        error         text,
        operation_id  uuid NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
        created_at    timestamptz NOT NULL DEFAULT now(),
        started_at    timestamptz,
        finished_at   timestamptz,
        observed_at   timestamptz,
        FOREIGN KEY (job_name, version) REFERENCES job_versions (job_name, version)
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id      bigserial PRIMARY KEY,
        actor   text NOT NULL,
        action  text NOT NULL,
        target  text NOT NULL,
        outcome text NOT NULL,
        detail  jsonb NOT NULL DEFAULT '{}',
        at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_log_target ON audit_log (target, at)`);
    await q.query(`
      CREATE TABLE api_keys (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name       text NOT NULL,
        prefix     text NOT NULL,
        key_hash   text NOT NULL UNIQUE,
        role       text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'api_keys',
      'audit_log',
      'batch_runs',
      'operations',
      'deployments',
      'job_versions',
      'jobs',
      'feature_definitions',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS job_versions_immutable()`);
  }
}
