import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * High availability: hosts get a replication address, a VIP interface, a fencing method and their last health
 * check; HA databases get a floating VIP; DRBD volumes get their peer and minor; every failover is recorded.
 */
export class HighAvailability1795500000000 implements MigrationInterface {
  name = 'HighAvailability1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE hosts ADD COLUMN replication_address text`);
    await q.query(`ALTER TABLE hosts ADD COLUMN vip_interface text`);
    await q.query(`ALTER TABLE hosts ADD COLUMN fencing jsonb`);
    await q.query(`ALTER TABLE hosts ADD COLUMN health jsonb`);
    await q.query(`ALTER TABLE hosts ADD COLUMN status_reason text`);
    await q.query(`ALTER TABLE databases ADD COLUMN vip text`);
    // A VIP belongs to one live database at a time, wherever it runs.
    await q.query(
      `CREATE UNIQUE INDEX databases_vip_live ON databases (vip) WHERE deleted_at IS NULL AND vip IS NOT NULL`,
    );
    await q.query(`ALTER TABLE volumes ADD COLUMN ha text NOT NULL DEFAULT 'none'`);
    await q.query(`ALTER TABLE volumes ADD COLUMN peer_host_id uuid REFERENCES hosts(id)`);
    await q.query(`ALTER TABLE volumes ADD COLUMN drbd_minor int CHECK (drbd_minor BETWEEN 0 AND 65535)`);
    // The mirror as the failover worker last saw it from the primary: a peer that missed writes is never promoted.
    await q.query(`ALTER TABLE volumes ADD COLUMN mirror_state text`);
    await q.query(`ALTER TABLE volumes ADD COLUMN mirror_checked_at timestamptz`);
    // Minors (and the replication ports derived from them) never clash: one per live volume, fleet-wide.
    await q.query(
      `CREATE UNIQUE INDEX volumes_drbd_minor_live ON volumes (drbd_minor) WHERE deleted_at IS NULL AND drbd_minor IS NOT NULL`,
    );
    // A LUN that carries one HA volume only, so it can move to another host on its own.
    await q.query(`ALTER TABLE luns ADD COLUMN dedicated boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE failovers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        database_id uuid NOT NULL REFERENCES databases(id),
        tenant_id uuid NOT NULL,
        operation_id uuid REFERENCES operations(id),
        ha text NOT NULL,
        reason text NOT NULL CHECK (reason IN ('host-down', 'manual', 'switchover', 'drain', 'evacuate')),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        from_host_id uuid REFERENCES hosts(id),
        to_host_id uuid REFERENCES hosts(id),
        actor text,
        error text,
        detected_at timestamptz NOT NULL,
        fenced_at timestamptz,
        storage_moved_at timestamptz,
        started_at timestamptz,
        reachable_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX failovers_created ON failovers (created_at DESC)`);
    // At most one failover in flight per database.
    await q.query(`CREATE UNIQUE INDEX failovers_running ON failovers (database_id) WHERE status = 'running'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE failovers`);
    await q.query(`ALTER TABLE luns DROP COLUMN dedicated`);
    await q.query(`DROP INDEX volumes_drbd_minor_live`);
    await q.query(
      `ALTER TABLE volumes DROP COLUMN mirror_checked_at, DROP COLUMN mirror_state, DROP COLUMN drbd_minor, DROP COLUMN peer_host_id, DROP COLUMN ha`,
    );
    await q.query(`DROP INDEX databases_vip_live`);
    await q.query(`ALTER TABLE databases DROP COLUMN vip`);
    await q.query(
      `ALTER TABLE hosts DROP COLUMN status_reason, DROP COLUMN health, DROP COLUMN fencing, DROP COLUMN vip_interface, DROP COLUMN replication_address`,
    );
  }
}
