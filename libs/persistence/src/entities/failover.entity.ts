import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type FailoverReason = 'host-down' | 'manual' | 'switchover' | 'drain' | 'evacuate';
export type FailoverStatus = 'running' | 'succeeded' | 'failed';

/** One move of a database's primary to another host, with its timeline. */
@Entity('failovers')
export class FailoverEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'database_id', type: 'uuid' }) databaseId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'operation_id', type: 'uuid', nullable: true }) operationId!: string | null;
  @Column({ type: 'text' }) ha!: string;
  @Column({ type: 'text' }) reason!: FailoverReason;
  @Column({ type: 'text' }) status!: FailoverStatus;
  @Column({ name: 'from_host_id', type: 'uuid', nullable: true }) fromHostId!: string | null;
  @Column({ name: 'to_host_id', type: 'uuid', nullable: true }) toHostId!: string | null;
  // Who asked: an operator key's name, or "failover-worker".
  @Column({ type: 'text', nullable: true }) actor!: string | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  // An operator's decision: promote the DRBD peer even though it may lack writes the old primary committed.
  @Column({ name: 'accept_data_loss', type: 'boolean', default: false }) acceptDataLoss!: boolean;
  @Column({ name: 'detected_at', type: 'timestamptz' }) detectedAt!: Date;
  @Column({ name: 'fenced_at', type: 'timestamptz', nullable: true }) fencedAt!: Date | null;
  @Column({ name: 'storage_moved_at', type: 'timestamptz', nullable: true }) storageMovedAt!: Date | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'reachable_at', type: 'timestamptz', nullable: true }) reachableAt!: Date | null;
  // Round trips to hosts the takeover made, all attempts together.
  @Column({ name: 'round_trips', type: 'integer', nullable: true }) roundTrips!: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
