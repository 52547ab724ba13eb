import { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys may expire (issue 20, finding 9): a key past `expires_at` is refused like a revoked one. */
export class ApiKeyExpiry1764950000000 implements MigrationInterface {
  name = 'ApiKeyExpiry1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN expires_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS expires_at`);
  }
}
