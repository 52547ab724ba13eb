import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * deployments.started_from: the savepoint or retained checkpoint the deployment's current Flink
 * job was submitted from. A job recovered from a checkpoint that vanishes again before its own
 * first checkpoint has no checkpoint of its own; its state is still this one, which recovery can
 * restore instead of failing (or falling back to an older savepoint). NULL for the deployments
 * that exist already: what they started from was not recorded.
 */
export class DeploymentStartedFrom1765300000000 implements MigrationInterface {
  name = 'DeploymentStartedFrom1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN IF NOT EXISTS started_from text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP COLUMN IF EXISTS started_from`);
  }
}
