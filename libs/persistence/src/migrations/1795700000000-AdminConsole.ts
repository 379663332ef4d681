import { MigrationInterface, QueryRunner } from 'typeorm';

/** The admin console: an audit log of operator actions, and indexes for the console's fleet-wide reads. */
export class AdminConsole1795700000000 implements MigrationInterface {
  name = 'AdminConsole1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        action text NOT NULL,
        target text,
        status_code int NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_entries_created_at ON audit_entries (created_at DESC)`);
    // The overview counts the failovers of the last 24 h on every refresh.
    await q.query(`CREATE INDEX failovers_detected_at ON failovers (detected_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS failovers_detected_at`);
    await q.query(`DROP TABLE audit_entries`);
  }
}
