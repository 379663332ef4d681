import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import type { CheckState } from '@app/domain';
import type { DatabaseStatus, HaMode, HostConnection, HostKeyPinnedBy, HostStatus } from '@app/persistence/entities';

export class HostCapacity {
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

/** The failover worker's last look at the host. */
export class HostHealth {
  checkedAt: string;
  ssh: boolean;
  /** null: not known (never checked, or SSH does not answer now). */
  docker: boolean | null;
  failures: number;
  detail?: string;
  /** The failover worker's reading of the host. */
  verdict?: 'up' | 'suspect' | 'unreachable' | 'down';
  /** What each witness saw of it when the control plane could not reach it. */
  @ApiProperty({ required: false, additionalProperties: { type: 'string', enum: ['alive', 'dead', 'no answer'] } })
  witnesses?: Record<string, 'alive' | 'dead' | 'no answer'>;
  /** Per database id: whether its container answered. */
  databases?: Record<string, boolean>;
}

/** SSH and Docker as last checked; `unknown` when nothing was learnt (never checked, never reached). */
export class HostChecks {
  ssh: CheckState;
  docker: CheckState;
}

/** A fence agent of the control plane's allow-list, its secret parameters shown as "***". */
export class AgentFencing {
  // One literal: the plugin would say `string`, and the console tells the two kinds apart by it.
  @ApiProperty({ enum: ['agent'] })
  driver: 'agent';
  agent: string;
  params: Record<string, string>;
  timeoutSec: number;
  sshPoweroff: boolean;
}

/** `poweroff -f` over SSH: never counts as a fence alone. */
export class SshFencing {
  @ApiProperty({ enum: ['ssh'] })
  driver: 'ssh';
}

/** A host without its SSH key. */
@ApiExtraModels(AgentFencing, SshFencing)
export class HostView {
  id: string;
  name: string;
  address: string;
  connection: HostConnection;
  sshAddress: string | null;
  sshPort: number;
  sshUser: string;
  /** The SSH server's pinned key (OpenSSH SHA256 fingerprint); null until given or first seen. */
  hostKeyFingerprint: string | null;
  /** `first-contact`: recorded on the first connection, for the operator to confirm. */
  hostKeyPinnedBy: HostKeyPinnedBy | null;
  labels: Record<string, string>;
  capacity: HostCapacity;
  storageDriver: string;
  dataRoot: string;
  storageBackendId: string | null;
  iscsiInitiator: string | null;
  replicationAddress: string | null;
  vipInterface: string | null;
  @ApiProperty({ oneOf: [{ $ref: getSchemaPath(AgentFencing) }, { $ref: getSchemaPath(SshFencing) }], nullable: true })
  fencing: AgentFencing | SshFencing | null;
  health: HostHealth | null;
  /** SSH and Docker as last checked (derived from `health`). */
  checks: HostChecks;
  status: HostStatus;
  /** Why the host is down, fenced or draining. */
  statusReason: string | null;
  lastSeenAt: string | null;
  /** Registered or last activated: the start of the failover worker's grace period. */
  activeSince: string;
  createdAt: string;
  updatedAt: string;
  hasSshKey: boolean;
}

/** `GET /admin/v1/hosts`: each host with how many databases and LUNs it holds. */
export class HostListItem extends HostView {
  databases: number;
  luns: number;
}

export class PlacedDatabase {
  id: string;
  name: string;
  tenantId: string;
  tenantName: string | null;
  engine: string;
  status: DatabaseStatus;
  ha: HaMode;
}

export class HostLun {
  id: string;
  name: string;
  iqn: string;
  sizeGb: number;
  hostVg: string;
  backendId: string;
  status: string;
  databaseId: string | null;
}

/** One host in depth: what runs there, what is attached, what is promised. */
export class HostDetail extends HostListItem {
  placed: PlacedDatabase[];
  attachedLuns: HostLun[];
  usage: HostCapacity;
}
