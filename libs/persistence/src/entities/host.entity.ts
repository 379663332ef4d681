import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type HostConnection = 'local' | 'ssh';
export type HostStatus = 'active' | 'draining' | 'down' | 'fenced';
export interface HostCapacity {
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

@Entity('hosts')
export class HostEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  // Where tenants reach the databases published on this host.
  @Column({ type: 'text' }) address!: string;
  @Column({ type: 'text' }) connection!: HostConnection;
  // Where the control plane reaches it over SSH, when not `address` (a management network).
  @Column({ name: 'ssh_address', type: 'text', nullable: true }) sshAddress!: string | null;
  @Column({ name: 'ssh_port', type: 'int', default: 22 }) sshPort!: number;
  @Column({ name: 'ssh_user', type: 'text', default: 'root' }) sshUser!: string;
  // Sealed with the master key; never returned by the API.
  @Column({ name: 'ssh_private_key', type: 'text', nullable: true, select: false }) sshPrivateKey!: string | null;
  @Column({ type: 'jsonb', default: {} }) labels!: Record<string, string>;
  @Column({ type: 'jsonb' }) capacity!: HostCapacity;
  @Column({ name: 'storage_driver', type: 'text', default: 'directory' }) storageDriver!: string;
  @Column({ name: 'data_root', type: 'text' }) dataRoot!: string;
  // san-lvm hosts: the storage server their LUNs come from, and their iSCSI initiator name (read from the host).
  @Column({ name: 'storage_backend_id', type: 'uuid', nullable: true }) storageBackendId!: string | null;
  @Column({ name: 'iscsi_initiator', type: 'text', nullable: true }) iscsiInitiator!: string | null;
  @Column({ type: 'text', default: 'active' }) status!: HostStatus;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
