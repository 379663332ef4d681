import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each failover counts the round trips its takeover made to hosts (commands, Docker API requests), over all attempts. */
export class FailoverRoundTrips1795980000000 implements MigrationInterface {
  name = 'FailoverRoundTrips1795980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE failovers ADD COLUMN round_trips integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE failovers DROP COLUMN round_trips`);
  }
}
