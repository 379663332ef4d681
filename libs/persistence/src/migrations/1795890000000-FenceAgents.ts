import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fencing that proves itself: a host's fencing is a fence agent of the control plane's allow-list
 * (`{driver: 'agent', agent, params, sealedParams, ...}`) or `{driver: 'ssh'}`. The argv fencing of before
 * (`{driver: 'command', command: [...]}`, any program an API caller chose, run on the control plane, stored and shown
 * in clear) is no longer run: such rows are rewritten to no fencing (NULL), their status and statusReason left as
 * they are, and a `host.fencing-removed` event tells operators to register an agent (until then a failover waits
 * for an operator to confirm the host is off). The argv itself is not copied anywhere: it may hold a password.
 */
export class FenceAgents1795890000000 implements MigrationInterface {
  name = 'FenceAgents1795890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO events (type, message, host_id)
      SELECT 'host.fencing-removed',
             'host ' || name || ': its fencing command is no longer run (an argv is not accepted); ' ||
             'configure a fence agent from the allow-list, or confirm the host is off by hand when it fails',
             id
        FROM hosts WHERE fencing->>'driver' = 'command'`);
    await q.query(`UPDATE hosts SET fencing = NULL WHERE fencing->>'driver' = 'command'`);
    // Anything but an agent or ssh is refused by the database too.
    await q.query(`ALTER TABLE hosts ADD CONSTRAINT hosts_fencing_driver
                     CHECK (fencing IS NULL OR jsonb_typeof(fencing) = 'null' OR coalesce(fencing->>'driver', '') IN ('agent', 'ssh'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The argv rows were dropped on purpose: they stay NULL.
    await q.query(`ALTER TABLE hosts DROP CONSTRAINT hosts_fencing_driver`);
  }
}
