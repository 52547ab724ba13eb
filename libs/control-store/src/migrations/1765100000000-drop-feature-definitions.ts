import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The boot-time copy of features/ is gone: the catalog is the registry's latest versions
 * (feature_versions), else the definitions the process booted with, read in memory
 * (apps/control-plane/src/features/feature-catalog.ts). The copy only ever said what the last
 * booted process knew, so a feature `fstore apply` added was missing until a restart.
 */
export class DropFeatureDefinitions1765100000000 implements MigrationInterface {
  name = 'DropFeatureDefinitions1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS feature_definitions`);
  }

  async down(q: QueryRunner): Promise<void> {
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
  }
}
