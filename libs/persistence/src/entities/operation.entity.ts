import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OperationType =
  | 'create-database'
  | 'delete-database'
  | 'restart-database'
  | 'rotate-password'
  | 'resize-database'
  | 'failover-database'
  | 'clone-database'
  | 'restore-backup'
  | 'backup-database'
  | 'move-database'
  | 'convert-privileges'
  | 'update-allowed-cidrs';
export type OperationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface TransferProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

@Entity('operations')
export class OperationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) type!: OperationType;
  @Column({ type: 'text' }) status!: OperationStatus;
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true }) tenantId!: string | null;
  @Column({ name: 'database_id', type: 'uuid', nullable: true }) databaseId!: string | null;
  @Column({ name: 'host_id', type: 'uuid', nullable: true }) hostId!: string | null;
  // What the operation was asked to do beyond its target (e.g. the new plan of a resize).
  @Column({ type: 'jsonb', default: {} }) params!: Record<string, unknown>;
  @Column({ type: 'int', default: 0 }) progress!: number;
  @Column({ name: 'progress_message', type: 'text', nullable: true }) progressMessage!: string | null;
  // Bulk copies (clone, move, backup, restore): bytes and files done out of the total, as the copy goes.
  @Column({ type: 'jsonb', nullable: true }) transfer!: TransferProgress | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}
