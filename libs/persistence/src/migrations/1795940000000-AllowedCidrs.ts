import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * IP allow-lists: the source networks allowed to reach each database, canonical CIDRs checked by the API. Empty (every
 * existing database): reachable from anywhere, as before.
 */
export class AllowedCidrs1795940000000 implements MigrationInterface {
  name = 'AllowedCidrs1795940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE databases ADD COLUMN allowed_cidrs text[] NOT NULL DEFAULT '{}'`);
    await q.query(
      `ALTER TABLE databases ADD CONSTRAINT databases_allowed_cidrs_count CHECK (cardinality(allowed_cidrs) <= 64)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE databases DROP COLUMN allowed_cidrs`);
  }
}
