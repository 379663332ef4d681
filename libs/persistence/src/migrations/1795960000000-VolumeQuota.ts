import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quotas that hold: each volume keeps its quota state (judged from its measured size: ok, warning at 80 %, critical
 * at 90 %, read-only at 100 %) and when it changed and was last judged; and a filesystem project id of its own, for
 * data roots with project quotas (XFS, ext4 with `prjquota`). Existing volumes get theirs now.
 */
export class VolumeQuota1795960000000 implements MigrationInterface {
  name = 'VolumeQuota1795960000000';

  async up(q: QueryRunner): Promise<void> {
    // Above the ids operators commonly give by hand in /etc/projects.
    await q.query(`CREATE SEQUENCE volume_quota_project_seq START 100000 MAXVALUE 4294967294`);
    await q.query(`
      ALTER TABLE volumes
        ADD COLUMN quota_state text CHECK (quota_state IN ('ok', 'warning', 'critical', 'read-only')),
        ADD COLUMN quota_changed_at timestamptz,
        ADD COLUMN quota_checked_at timestamptz,
        ADD COLUMN quota_project bigint NOT NULL DEFAULT nextval('volume_quota_project_seq'),
        ADD COLUMN quota_enforced_by text CHECK (quota_enforced_by IN ('filesystem', 'measured'))`);
    await q.query(`ALTER SEQUENCE volume_quota_project_seq OWNED BY volumes.quota_project`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE volumes DROP COLUMN quota_state, DROP COLUMN quota_changed_at, DROP COLUMN quota_checked_at,
        DROP COLUMN quota_project, DROP COLUMN quota_enforced_by`);
  }
}
