import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TLS everywhere: the platform's CA (made at the first start, its key sealed with the master key) and, per database,
 * its TLS mode and server certificate. Databases made before keep clear text next to TLS (`preferred`); new ones
 * refuse clear text (`required`).
 */
export class Tls1795950000000 implements MigrationInterface {
  name = 'Tls1795950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE certificate_authorities (
        name text PRIMARY KEY,
        cert_pem text NOT NULL,
        key_sealed text NOT NULL,
        not_after timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE databases ADD COLUMN tls text NOT NULL DEFAULT 'preferred'`);
    await q.query(`ALTER TABLE databases ALTER COLUMN tls SET DEFAULT 'required'`);
    await q.query(`ALTER TABLE databases ADD CONSTRAINT databases_tls_check CHECK (tls IN ('required', 'preferred'))`);
    await q.query(`ALTER TABLE databases ADD COLUMN tls_cert text`);
    await q.query(`ALTER TABLE databases ADD COLUMN tls_key text`);
    await q.query(`ALTER TABLE databases ADD COLUMN tls_not_after timestamptz`);
    await q.query(`ALTER TABLE databases ADD COLUMN tls_applied_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['tls_applied_at', 'tls_not_after', 'tls_key', 'tls_cert', 'tls'])
      await q.query(`ALTER TABLE databases DROP COLUMN ${c}`);
    await q.query(`DROP TABLE certificate_authorities`);
  }
}
