import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contained containers: a database's container opens no connection out unless its plan allows it (refused in its
 * network namespace; replies to its clients always flow). Every existing plan starts without: an operator opens it
 * per plan (`UPDATE plans SET allow_egress = true WHERE name = …`).
 */
export class PlanEgress1795920000000 implements MigrationInterface {
  name = 'PlanEgress1795920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plans ADD COLUMN allow_egress boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plans DROP COLUMN allow_egress`);
  }
}
