import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { EngineName } from './database.entity';
import { asNumber } from './transformers';

export type BackupStatus = 'pending' | 'running' | 'completed' | 'failed';
export type BackupKind = 'manual' | 'scheduled';

/** One archive of a database's data on the backup target; it outlives the database for the retention period. */
@Entity('backups')
export class BackupEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'database_id', type: 'uuid' }) databaseId!: string;
  @Column({ name: 'database_name', type: 'text' }) databaseName!: string;
  @Column({ type: 'text' }) engine!: EngineName;
  @Column({ type: 'text' }) version!: string;
  @Column({ type: 'text' }) kind!: BackupKind;
  @Column({ type: 'text' }) status!: BackupStatus;
  // How the data was made consistent: 'lvm-snapshot' or 'frozen-copy' (see the backup service).
  @Column({ type: 'text' }) method!: string;
  // The backup target's description (e.g. local:/var/lib/dbaas/backups) and the archive's path there.
  @Column({ type: 'text' }) target!: string;
  @Column({ type: 'text' }) path!: string;
  @Column({ name: 'size_bytes', type: 'bigint', nullable: true, transformer: asNumber }) sizeBytes!: number | null;
  @Column({ type: 'int', nullable: true }) files!: number | null;
  // How the stored archive is encrypted (ARCHIVE_ENCRYPTION, with the tenant's data key); null: a plain tar.gz of
  // before encryption.
  @Column({ type: 'text', nullable: true }) encryption!: string | null;
  // The SHA-256 (hex) of the stored file, read back from the target once written; checked before every restore.
  @Column({ type: 'text', nullable: true }) sha256!: string | null;
  @Column({ name: 'operation_id', type: 'uuid', nullable: true }) operationId!: string | null;
  // Sealed: the users and passwords inside the archived data, so a restore can take them over.
  @Column({ type: 'text', nullable: true, select: false }) credentials!: string | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
}
