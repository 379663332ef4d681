import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DRBD safe by construction: each volume's sealed shared secret (the peers authenticate each other; existing
 * volumes get one at their next configuration render), and an operator's explicit acceptance of data loss on a
 * failover that promotes a peer which may have missed writes.
 */
export class DrbdFencing1795900000000 implements MigrationInterface {
  name = 'DrbdFencing1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volumes ADD COLUMN drbd_secret text`);
    await q.query(`ALTER TABLE failovers ADD COLUMN accept_data_loss boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE failovers DROP COLUMN accept_data_loss`);
    await q.query(`ALTER TABLE volumes DROP COLUMN drbd_secret`);
  }
}
