import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Host keys pinned: each host and storage backend keeps its SSH server's key fingerprint, given by the operator
 * or recorded on first contact; every connection checks it before any credential is sent.
 */
export class HostKeys1795870000000 implements MigrationInterface {
  name = 'HostKeys1795870000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['hosts', 'storage_backends']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN host_key_fingerprint text
                       CHECK (host_key_fingerprint ~ '^SHA256:[A-Za-z0-9+/]{43}$')`);
      await q.query(`ALTER TABLE ${table} ADD COLUMN host_key_pinned_by text
                       CHECK (host_key_pinned_by IN ('operator', 'first-contact'))`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['hosts', 'storage_backends'])
      for (const c of ['host_key_pinned_by', 'host_key_fingerprint'])
        await q.query(`ALTER TABLE ${table} DROP COLUMN ${c}`);
  }
}
