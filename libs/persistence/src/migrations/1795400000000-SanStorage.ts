import { MigrationInterface, QueryRunner } from 'typeorm';

/** SAN storage: backends (storage servers), the LUNs they export to hosts, and volumes carved on those LUNs. */
export class SanStorage1795400000000 implements MigrationInterface {
  name = 'SanStorage1795400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE storage_backends (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        kind text NOT NULL DEFAULT 'iscsi-lvm' CHECK (kind IN ('iscsi-lvm')),
        portal_address text NOT NULL,
        portal_port int NOT NULL DEFAULT 3260,
        ssh_address text NOT NULL,
        ssh_port int NOT NULL DEFAULT 22,
        ssh_user text NOT NULL DEFAULT 'root',
        ssh_private_key text,
        volume_group text NOT NULL,
        thin_pool text,
        iqn_prefix text NOT NULL,
        lun_size_gb int NOT NULL DEFAULT 20 CHECK (lun_size_gb > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Management (SSH) may use another address than the one tenants reach; a SAN host has an initiator and a backend.
    await q.query(`ALTER TABLE hosts ADD COLUMN ssh_address text`);
    await q.query(`ALTER TABLE hosts ADD COLUMN iscsi_initiator text`);
    await q.query(`ALTER TABLE hosts ADD COLUMN storage_backend_id uuid REFERENCES storage_backends(id)`);
    await q.query(`
      CREATE TABLE luns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        backend_id uuid NOT NULL REFERENCES storage_backends(id),
        host_id uuid REFERENCES hosts(id),
        name text NOT NULL,
        iqn text NOT NULL,
        size_gb int NOT NULL CHECK (size_gb > 0),
        chap_user text NOT NULL,
        chap_password text NOT NULL,
        host_vg text NOT NULL,
        status text NOT NULL DEFAULT 'creating' CHECK (status IN ('creating', 'attached', 'detached', 'deleting', 'deleted')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX luns_iqn_live ON luns (iqn) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX luns_host ON luns (host_id) WHERE deleted_at IS NULL`);
    // A plan may ask for a storage driver; placement then picks only hosts that have it.
    await q.query(`ALTER TABLE plans ADD COLUMN storage_driver text`);
    await q.query(`
      INSERT INTO plans (name, cpus, memory_mb, disk_gb, storage_driver) VALUES
        ('san-small', 0.5, 512, 1, 'san-lvm'),
        ('san-medium', 1, 1024, 2, 'san-lvm'),
        ('san-large', 2, 4096, 50, 'san-lvm')`);
    await q.query(`ALTER TABLE volumes ADD COLUMN lun_id uuid REFERENCES luns(id)`);
    await q.query(`ALTER TABLE volumes ADD COLUMN device text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volumes DROP COLUMN device`);
    await q.query(`ALTER TABLE volumes DROP COLUMN lun_id`);
    await q.query(`DELETE FROM plans WHERE storage_driver IS NOT NULL`);
    await q.query(`ALTER TABLE plans DROP COLUMN storage_driver`);
    await q.query(`DROP TABLE luns`);
    await q.query(`ALTER TABLE hosts DROP COLUMN storage_backend_id`);
    await q.query(`ALTER TABLE hosts DROP COLUMN iscsi_initiator`);
    await q.query(`ALTER TABLE hosts DROP COLUMN ssh_address`);
    await q.query(`DROP TABLE storage_backends`);
  }
}
