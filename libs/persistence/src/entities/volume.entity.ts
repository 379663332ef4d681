import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type QuotaState = 'ok' | 'warning' | 'critical' | 'read-only';

@Entity('volumes')
export class VolumeEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'database_id', type: 'uuid' }) databaseId!: string;
  @Column({ name: 'host_id', type: 'uuid' }) hostId!: string;
  @Column({ type: 'text' }) driver!: string;
  // Where the driver put it on the host (a directory, or a mount point of a logical volume).
  @Column({ type: 'text', nullable: true }) path!: string | null;
  @Column({ name: 'size_gb', type: 'int' }) sizeGb!: number;
  // san-lvm: the LUN whose volume group holds this volume, and the logical volume's device path.
  @Column({ name: 'lun_id', type: 'uuid', nullable: true }) lunId!: string | null;
  @Column({ type: 'text', nullable: true }) device!: string | null;
  // ha 'san' volumes get a LUN of their own (it moves alone); 'drbd' volumes are mirrored on the peer host.
  @Column({ type: 'text', default: 'none' }) ha!: 'none' | 'drbd' | 'san';
  @Column({ name: 'peer_host_id', type: 'uuid', nullable: true }) peerHostId!: string | null;
  @Column({ name: 'drbd_minor', type: 'int', nullable: true }) drbdMinor!: number | null;
  // DRBD, from the primary: 'synced' (connected, both UpToDate), 'syncing' or 'degraded' (peer not receiving writes).
  @Column({ name: 'mirror_state', type: 'text', nullable: true }) mirrorState!:
    'synced' | 'syncing' | 'degraded' | null;
  @Column({ name: 'mirror_checked_at', type: 'timestamptz', nullable: true }) mirrorCheckedAt!: Date | null;
  // DRBD: the peers' shared secret (cram-hmac), sealed. Never selected unless asked for (getSealedDrbdSecret).
  @Column({ name: 'drbd_secret', type: 'text', nullable: true, select: false }) drbdSecret!: string | null;
  @Column({
    name: 'used_bytes',
    type: 'bigint',
    nullable: true,
    transformer: { to: (v) => v, from: (v) => (v === null ? null : Number(v)) },
  })
  usedBytes!: number | null;
  // The quota, judged from the measured size (directory volumes): null until first judged.
  @Column({ name: 'quota_state', type: 'text', nullable: true }) quotaState!: QuotaState | null;
  @Column({ name: 'quota_changed_at', type: 'timestamptz', nullable: true }) quotaChangedAt!: Date | null;
  @Column({ name: 'quota_checked_at', type: 'timestamptz', nullable: true }) quotaCheckedAt!: Date | null;
  // Its filesystem project id (directory volumes on a data root with project quotas); given by a sequence.
  @Column({
    name: 'quota_project',
    type: 'bigint',
    insert: false,
    update: false,
    transformer: { to: (v) => v, from: (v) => (v === null ? null : Number(v)) },
  })
  quotaProject!: number;
  // How the size is held: a filesystem quota (a hard stop), or measured only; null: not known yet.
  @Column({ name: 'quota_enforced_by', type: 'text', nullable: true }) quotaEnforcedBy!:
    'filesystem' | 'measured' | null;
  // A move's copy on the target host, filled while the database still runs on its old volume.
  @Column({ type: 'boolean', default: false }) incoming!: boolean;
  @Column({ name: 'seeded_at', type: 'timestamptz', nullable: true }) seededAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
}
