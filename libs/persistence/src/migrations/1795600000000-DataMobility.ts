import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clones, moves and backups: a database may start from another one's data (`origin`), a volume may be the
 * incoming copy of a move, operations carry transfer progress, plans carry a backup retention, and backups
 * are recorded with where their archive lives.
 */
export class DataMobility1795600000000 implements MigrationInterface {
  name = 'DataMobility1795600000000';

  async up(q: QueryRunner): Promise<void> {
    // {kind: 'clone', databaseId} | {kind: 'backup', backupId}, plus the sealed credentials found in that data.
    await q.query(`ALTER TABLE databases ADD COLUMN origin jsonb`);
    // The copy a move is filling on the target host: not the database's volume until the cut-over.
    await q.query(`ALTER TABLE volumes ADD COLUMN incoming boolean NOT NULL DEFAULT false`);
    // Set once a clone's or restore's data is in place, so a retried job does not copy it again.
    await q.query(`ALTER TABLE volumes ADD COLUMN seeded_at timestamptz`);
    await q.query(`ALTER TABLE operations ADD COLUMN transfer jsonb`);
    await q.query(
      `ALTER TABLE plans ADD COLUMN backup_daily int NOT NULL DEFAULT 7 CHECK (backup_daily BETWEEN 0 AND 366)`,
    );
    await q.query(
      `ALTER TABLE plans ADD COLUMN backup_weekly int NOT NULL DEFAULT 4 CHECK (backup_weekly BETWEEN 0 AND 520)`,
    );
    await q.query(`
      CREATE TABLE backups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        database_id uuid NOT NULL REFERENCES databases(id),
        database_name text NOT NULL,
        engine text NOT NULL,
        version text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('manual', 'scheduled')),
        status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
        method text NOT NULL,
        target text NOT NULL,
        path text NOT NULL,
        size_bytes bigint,
        files int,
        operation_id uuid REFERENCES operations(id),
        credentials text,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        expires_at timestamptz,
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX backups_database ON backups (database_id, created_at DESC) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX backups_tenant ON backups (tenant_id, created_at DESC) WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backups`);
    await q.query(`ALTER TABLE plans DROP COLUMN backup_weekly`);
    await q.query(`ALTER TABLE plans DROP COLUMN backup_daily`);
    await q.query(`ALTER TABLE operations DROP COLUMN transfer`);
    await q.query(`ALTER TABLE volumes DROP COLUMN seeded_at`);
    await q.query(`ALTER TABLE volumes DROP COLUMN incoming`);
    await q.query(`ALTER TABLE databases DROP COLUMN origin`);
  }
}
