import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An append-only record of what happened, for the console, audits and failover timelines. */
@Entity('events')
export class EventEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) type!: string;
  @Column({ type: 'text' }) message!: string;
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true }) tenantId!: string | null;
  @Column({ name: 'database_id', type: 'uuid', nullable: true }) databaseId!: string | null;
  @Column({ name: 'host_id', type: 'uuid', nullable: true }) hostId!: string | null;
  @Column({ name: 'operation_id', type: 'uuid', nullable: true }) operationId!: string | null;
  @Column({ type: 'jsonb', default: {} }) data!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
