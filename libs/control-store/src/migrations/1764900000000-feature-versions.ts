import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The feature registry: every applied definition as an immutable version (who applied it, when),
 * a removal being a version too. What `fstore plan` compares features/ with.
 */
export class FeatureVersions1764900000000 implements MigrationInterface {
  name = 'FeatureVersions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE feature_versions (
        name         text NOT NULL,
        version      int NOT NULL CHECK (version >= 1),
        compute_hash text NOT NULL,
        engine       text NOT NULL CHECK (engine IN ('stream', 'batch')),
        source       text NOT NULL,
        definition   jsonb NOT NULL,
        removed      boolean NOT NULL DEFAULT false,
        applied_by   text NOT NULL,
        applied_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (name, version)
      )`);
    await q.query(`
      CREATE FUNCTION feature_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'feature_versions are immutable (feature %, version %)', OLD.name, OLD.version;
      END $$`);
    await q.query(`
      CREATE TRIGGER feature_versions_no_change BEFORE UPDATE OR DELETE ON feature_versions
      FOR EACH ROW EXECUTE FUNCTION feature_versions_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS feature_versions`);
    await q.query(`DROP FUNCTION IF EXISTS feature_versions_immutable()`);
  }
}
