import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Least privilege inside each engine: databases made before it have the tenant as the engine's superuser (`legacy`),
 * converted by a job at worker start; new ones are made with an owner role and a platform admin (`owner`).
 */
export class PrivilegeModel1795910000000 implements MigrationInterface {
  name = 'PrivilegeModel1795910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE databases ADD COLUMN privilege_model text NOT NULL DEFAULT 'legacy'`);
    await q.query(`ALTER TABLE databases ALTER COLUMN privilege_model SET DEFAULT 'owner'`);
    await q.query(
      `ALTER TABLE databases ADD CONSTRAINT databases_privilege_model_check CHECK (privilege_model IN ('legacy', 'owner'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE databases DROP COLUMN privilege_model`);
  }
}
