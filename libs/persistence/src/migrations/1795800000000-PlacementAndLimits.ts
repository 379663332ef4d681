import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Placement and limits: plans carry block I/O and network egress limits; operators set overcommit ratios and
 * hotspot thresholds; the worker records what each database and host really uses (the rebalancer and
 * /metrics read it).
 */
export class PlacementAndLimits1795800000000 implements MigrationInterface {
  name = 'PlacementAndLimits1795800000000';

  async up(q: QueryRunner): Promise<void> {
    // Relative share of the disk under contention (cgroup io.weight / blkio.weight), and optional hard caps.
    await q.query(
      `ALTER TABLE plans ADD COLUMN io_weight int NOT NULL DEFAULT 100 CHECK (io_weight BETWEEN 10 AND 1000)`,
    );
    await q.query(`ALTER TABLE plans ADD COLUMN io_read_mbps int CHECK (io_read_mbps > 0)`);
    await q.query(`ALTER TABLE plans ADD COLUMN io_write_mbps int CHECK (io_write_mbps > 0)`);
    // Outgoing traffic of the container, shaped with tc in its network namespace; null: not shaped.
    await q.query(`ALTER TABLE plans ADD COLUMN egress_mbit int CHECK (egress_mbit > 0)`);
    // Bigger plans get a bigger share of the disk and more bandwidth.
    await q.query(`UPDATE plans SET io_weight = LEAST(1000, GREATEST(10, round(cpus * 200)::int)),
                                    egress_mbit = GREATEST(50, round(cpus * 200)::int)`);
    await q.query(`
      CREATE TABLE placement_settings (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        cpu_overcommit numeric(5,2) NOT NULL DEFAULT 4 CHECK (cpu_overcommit >= 1 AND cpu_overcommit <= 64),
        memory_overcommit numeric(5,2) NOT NULL DEFAULT 1 CHECK (memory_overcommit >= 1 AND memory_overcommit <= 4),
        disk_overcommit numeric(5,2) NOT NULL DEFAULT 1 CHECK (disk_overcommit >= 1 AND disk_overcommit <= 16),
        -- A host is a hotspot when its measured use of a resource passes these fractions of its capacity.
        hotspot_cpu numeric(4,3) NOT NULL DEFAULT 0.75 CHECK (hotspot_cpu > 0 AND hotspot_cpu <= 1),
        hotspot_memory numeric(4,3) NOT NULL DEFAULT 0.85 CHECK (hotspot_memory > 0 AND hotspot_memory <= 1),
        updated_by text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO placement_settings (id) VALUES (1)`);
    // The latest measurement of each database's container (counters are cumulative, as the kernel gives them).
    await q.query(`
      CREATE TABLE database_samples (
        database_id uuid PRIMARY KEY REFERENCES databases(id) ON DELETE CASCADE,
        host_id uuid NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
        cpu_cores numeric(8,3) NOT NULL,
        cpu_seconds_total double precision NOT NULL,
        memory_bytes bigint NOT NULL,
        memory_limit_bytes bigint NOT NULL,
        net_rx_bytes bigint NOT NULL,
        net_tx_bytes bigint NOT NULL,
        blk_read_bytes bigint NOT NULL,
        blk_write_bytes bigint NOT NULL,
        sampled_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX database_samples_host ON database_samples (host_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE database_samples`);
    await q.query(`DROP TABLE placement_settings`);
    for (const c of ['egress_mbit', 'io_write_mbps', 'io_read_mbps', 'io_weight'])
      await q.query(`ALTER TABLE plans DROP COLUMN ${c}`);
  }
}
