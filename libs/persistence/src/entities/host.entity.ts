import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type HostKeyPinnedBy = 'operator' | 'first-contact';
export type HostConnection = 'local' | 'ssh';
export type HostStatus = 'active' | 'draining' | 'down' | 'fenced';
/**
 * A fence agent of the control plane's allow-list (FENCE_AGENTS_DIR), run with no argument and its parameters
 * as `key=value` lines on stdin (the fence-agents convention): `action=off`, then `action=status` to confirm.
 */
export interface AgentFencing {
  driver: 'agent';
  /** A file name in FENCE_AGENTS_DIR, never a path. */
  agent: string;
  /** Parameters shown as they are (address, user, plug...). */
  params: Record<string, string>;
  /** Secret parameters (passwords, communities, keys), each sealed with the master key; never shown. */
  sealedParams: Record<string, string>;
  timeoutSec?: number;
  /** `poweroff -f` over SSH at the same time, as an extra (default true); it never confirms a fence. */
  sshPoweroff?: boolean;
}

/** How the control plane powers a host off before taking its databases over. */
export type FencingConfig =
  | AgentFencing
  // `poweroff -f` over SSH only: best effort, it confirms nothing; an operator must vouch the host is off.
  | { driver: 'ssh' };

/** The failover worker's last look at the host. */
export interface HostHealth {
  checkedAt: string;
  ssh: boolean;
  /** null: not known (never checked, or SSH does not answer now). */
  docker: boolean | null;
  failures: number;
  detail?: string;
  /**
   * The failover worker's reading: `up`; `suspect` (failed probes, not yet judged); `unreachable` (not reached,
   * but not condemned: grace, brake, or no witness agreed); `down` (declared).
   */
  verdict?: 'up' | 'suspect' | 'unreachable' | 'down';
  /** What each witness saw of it when the control plane could not reach it. */
  witnesses?: Record<string, 'alive' | 'dead' | 'no answer'>;
  databases?: Record<string, boolean>;
}

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
  // The SSH server's host key (OpenSSH SHA256 fingerprint): every connection checks it before sending credentials.
  @Column({ name: 'host_key_fingerprint', type: 'text', nullable: true }) hostKeyFingerprint!: string | null;
  // 'operator': given at registration or confirmed since; 'first-contact': recorded on first use, to confirm.
  @Column({ name: 'host_key_pinned_by', type: 'text', nullable: true }) hostKeyPinnedBy!: HostKeyPinnedBy | null;
  @Column({ type: 'jsonb', default: {} }) labels!: Record<string, string>;
  @Column({ type: 'jsonb' }) capacity!: HostCapacity;
  @Column({ name: 'storage_driver', type: 'text', default: 'directory' }) storageDriver!: string;
  @Column({ name: 'data_root', type: 'text' }) dataRoot!: string;
  // san-lvm hosts: the storage server their LUNs come from, and their iSCSI initiator name (read from the host).
  @Column({ name: 'storage_backend_id', type: 'uuid', nullable: true }) storageBackendId!: string | null;
  @Column({ name: 'iscsi_initiator', type: 'text', nullable: true }) iscsiInitiator!: string | null;
  // DRBD peers replicate over this address (a dedicated segment); HA VIPs are added on this interface.
  @Column({ name: 'replication_address', type: 'text', nullable: true }) replicationAddress!: string | null;
  @Column({ name: 'vip_interface', type: 'text', nullable: true }) vipInterface!: string | null;
  @Column({ type: 'jsonb', nullable: true }) fencing!: FencingConfig | null;
  @Column({ type: 'jsonb', nullable: true }) health!: HostHealth | null;
  @Column({ type: 'text', default: 'active' }) status!: HostStatus;
  // Why the host is down, fenced or draining (shown to operators).
  @Column({ name: 'status_reason', type: 'text', nullable: true }) statusReason!: string | null;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt!: Date | null;
  // Registered or last activated: the start of the failover worker's grace period.
  @Column({ name: 'active_since', type: 'timestamptz', default: () => 'now()' }) activeSince!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
