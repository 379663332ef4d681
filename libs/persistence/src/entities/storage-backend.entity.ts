import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { HostKeyPinnedBy } from './host.entity';

/** A storage server: LVM volume group carved into LUNs, exported over iSCSI (LIO). */
@Entity('storage_backends')
export class StorageBackendEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ type: 'text', default: 'iscsi-lvm' }) kind!: 'iscsi-lvm';
  // The iSCSI portal on the SAN network, as the database hosts reach it.
  @Column({ name: 'portal_address', type: 'text' }) portalAddress!: string;
  @Column({ name: 'portal_port', type: 'int', default: 3260 }) portalPort!: number;
  @Column({ name: 'ssh_address', type: 'text' }) sshAddress!: string;
  @Column({ name: 'ssh_port', type: 'int', default: 22 }) sshPort!: number;
  @Column({ name: 'ssh_user', type: 'text', default: 'root' }) sshUser!: string;
  @Column({ name: 'ssh_private_key', type: 'text', nullable: true, select: false }) sshPrivateKey!: string | null;
  // The SSH server's host key (OpenSSH SHA256 fingerprint): every connection checks it before sending credentials.
  @Column({ name: 'host_key_fingerprint', type: 'text', nullable: true }) hostKeyFingerprint!: string | null;
  // 'operator': given at registration or confirmed since; 'first-contact': recorded on first use, to confirm.
  @Column({ name: 'host_key_pinned_by', type: 'text', nullable: true }) hostKeyPinnedBy!: HostKeyPinnedBy | null;
  @Column({ name: 'volume_group', type: 'text' }) volumeGroup!: string;
  // When set, LUNs are thin volumes of this pool: space is used as written, so LUNs can be over-provisioned.
  @Column({ name: 'thin_pool', type: 'text', nullable: true }) thinPool!: string | null;
  @Column({ name: 'iqn_prefix', type: 'text' }) iqnPrefix!: string;
  @Column({ name: 'lun_size_gb', type: 'int', default: 20 }) lunSizeGb!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
