import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type EngineName = 'postgresql' | 'mysql' | 'mariadb' | 'redis' | 'mongodb';
export type HaMode = 'none' | 'drbd' | 'san';
/**
 * How the engine's accounts are laid out. `owner`: the tenant's account owns its database(s) and nothing more; the
 * platform keeps an admin account of its own (sealed password). `legacy`: made before that, the tenant's account is
 * the engine's superuser (PostgreSQL, MongoDB) or the only password (Redis); converted by a job at worker start.
 */
export type PrivilegeModel = 'legacy' | 'owner';
/** `required`: clear-text connections refused; `preferred`: TLS offered beside clear text (databases made before TLS). */
export type TlsMode = 'required' | 'preferred';
export type DatabaseStatus = 'provisioning' | 'running' | 'failing-over' | 'stopped' | 'error' | 'deleting' | 'deleted';

// `credentials`: the sealed password of the tenant user inside that data (the source's, at copy time).
export type DatabaseOrigin =
  | { kind: 'clone'; databaseId: string; credentials: string }
  | { kind: 'backup'; backupId: string; credentials: string };

@Entity('databases')
export class DatabaseEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) engine!: EngineName;
  @Column({ type: 'text' }) version!: string;
  @Column({ name: 'plan_id', type: 'uuid' }) planId!: string;
  @Column({ type: 'text', default: 'none' }) ha!: HaMode;
  @Column({ type: 'text' }) status!: DatabaseStatus;
  @Column({ name: 'host_id', type: 'uuid', nullable: true }) hostId!: string | null;
  @Column({ type: 'int', nullable: true }) port!: number | null;
  // HA databases: the floating address tenants connect to; it moves with the primary.
  @Column({ type: 'text', nullable: true }) vip!: string | null;
  @Column({ type: 'text' }) username!: string;
  @Column({ name: 'db_name', type: 'text' }) dbName!: string;
  // Sealed with the master key; cleared when the database is deleted.
  @Column({ type: 'text', nullable: true, select: false }) password!: string | null;
  @Column({ name: 'admin_password', type: 'text', nullable: true, select: false }) adminPassword!: string | null;
  @Column({ name: 'privilege_model', type: 'text', default: 'owner' }) privilegeModel!: PrivilegeModel;
  // Where its first data came from: another database (a clone) or a backup (a restore).
  @Column({ type: 'jsonb', nullable: true }) origin!: DatabaseOrigin | null;
  // The source networks allowed to connect (canonical CIDRs, enforced on its host); empty: anyone.
  @Column({ name: 'allowed_cidrs', type: 'text', array: true, default: () => "'{}'" }) allowedCidrs!: string[];
  @Column({ type: 'text', default: 'required' }) tls!: TlsMode;
  // Its server certificate (PEM, signed by the platform CA) and key (sealed with the master key).
  @Column({ name: 'tls_cert', type: 'text', nullable: true }) tlsCert!: string | null;
  @Column({ name: 'tls_key', type: 'text', nullable: true, select: false }) tlsKey!: string | null;
  // The certificate's expiry, kept beside it so the renewal finds those due without reading each certificate.
  @Column({ name: 'tls_not_after', type: 'timestamptz', nullable: true }) tlsNotAfter!: Date | null;
  // When the current certificate was written to the host and the engine reloaded it (null: still to do).
  @Column({ name: 'tls_applied_at', type: 'timestamptz', nullable: true }) tlsAppliedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
}
