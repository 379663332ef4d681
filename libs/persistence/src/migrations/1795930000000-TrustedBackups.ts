import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backups you can trust: each tenant gets a data key (random, sealed with the master key, made at its first backup)
 * that encrypts its archives; each backup records how its archive is encrypted and the SHA-256 of the stored
 * file, checked before every restore. Backups taken before have neither (plain tar.gz, restored unchecked) and
 * age out under the retention as before.
 */
export class TrustedBackups1795930000000 implements MigrationInterface {
  name = 'TrustedBackups1795930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN backup_key text`);
    await q.query(`ALTER TABLE backups ADD COLUMN encryption text`);
    await q.query(`ALTER TABLE backups ADD COLUMN sha256 text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backups DROP COLUMN sha256`);
    await q.query(`ALTER TABLE backups DROP COLUMN encryption`);
    await q.query(`ALTER TABLE tenants DROP COLUMN backup_key`);
  }
}
