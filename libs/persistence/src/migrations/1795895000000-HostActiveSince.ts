import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a host was registered or last let back in (activated): the failover worker never fences a host within
 * its grace period after that, nor before it was seen healthy since.
 */
export class HostActiveSince1795895000000 implements MigrationInterface {
  name = 'HostActiveSince1795895000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE hosts ADD COLUMN active_since timestamptz NOT NULL DEFAULT now()`);
    await q.query(`UPDATE hosts SET active_since = created_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE hosts DROP COLUMN active_since`);
  }
}
