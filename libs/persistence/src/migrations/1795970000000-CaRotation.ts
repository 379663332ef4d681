import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CA rotation: the platform CA that signs (`current`, one at most), those still trusted beside it while certificates
 * they signed are in use (`previous`), and those gone from the bundle (`retired`, their key dropped).
 */
export class CaRotation1795970000000 implements MigrationInterface {
  name = 'CaRotation1795970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE certificate_authorities ADD COLUMN state text NOT NULL DEFAULT 'current'`);
    await q.query(
      `ALTER TABLE certificate_authorities ADD CONSTRAINT certificate_authorities_state_check
         CHECK (state IN ('current', 'previous', 'retired'))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX certificate_authorities_one_current ON certificate_authorities ((true)) WHERE state = 'current'`,
    );
    // When it stopped signing; from when the certificates it signed are replaced (null: at their renewal); when it
    // left the bundle.
    await q.query(`ALTER TABLE certificate_authorities ADD COLUMN rotated_at timestamptz`);
    await q.query(`ALTER TABLE certificate_authorities ADD COLUMN reissue_at timestamptz`);
    await q.query(`ALTER TABLE certificate_authorities ADD COLUMN retired_at timestamptz`);
    await q.query(`ALTER TABLE certificate_authorities ALTER COLUMN key_sealed DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The code before this knows one CA, by the name `platform`.
    await q.query(`DELETE FROM certificate_authorities WHERE state <> 'current'`);
    await q.query(`UPDATE certificate_authorities SET name = 'platform'`);
    await q.query(`ALTER TABLE certificate_authorities ALTER COLUMN key_sealed SET NOT NULL`);
    for (const c of ['retired_at', 'reissue_at', 'rotated_at'])
      await q.query(`ALTER TABLE certificate_authorities DROP COLUMN ${c}`);
    await q.query(`DROP INDEX certificate_authorities_one_current`);
    await q.query(`ALTER TABLE certificate_authorities DROP COLUMN state`);
  }
}
