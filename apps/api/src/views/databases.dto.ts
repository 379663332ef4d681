import type {
  DatabaseInspection,
  DatabaseQuotaView,
  DatabaseView as DomainDatabaseView,
  FleetDatabaseView,
  OperationView as DomainOperationView,
  VolumePlacementView,
} from '@app/domain';
import type { DatabaseStatus, HaMode, OperationStatus, QuotaState, TlsMode } from '@app/persistence/entities';

export class DatabaseQuota implements DatabaseQuotaView {
  usedBytes: number;
  limitBytes: number;
  state: QuotaState;
  notice: string | null;
  enforcedBy: 'filesystem' | 'measured' | null;
  since: string | null;
}

// Nullable objects are named classes: the plugin drops `| null` from an inline object type.
export class Endpoint {
  host: string;
  port: number;
}

export class VolumeSummary {
  driver: string;
  sizeGb: number;
  usedBytes: number | null;
}

/** A database as its tenant sees it (the API contract, with extensions). */
export class DatabaseView implements DomainDatabaseView {
  id: string;
  name: string;
  engine: string;
  version: string;
  plan: string;
  ha: HaMode;
  status: DatabaseStatus;
  endpoint: Endpoint | null;
  /** `required` (clear text refused) or `preferred` (TLS offered beside clear text). */
  tls: TlsMode;
  /** Where the data lives and how much of it there is (measured periodically). */
  volume: VolumeSummary | null;
  /** How full a directory volume is against its plan (null: not measured yet, or a volume with a hard size). */
  quota?: DatabaseQuota | null;
  createdAt: string;
  /** HA databases: the host the primary runs on now. */
  primaryHost?: string | null;
  /** The source networks allowed to connect (canonical CIDRs); empty: anyone. */
  allowedCidrs: string[];
}

/** A database as an operator sees it: whose it is and where it runs. */
export class FleetDatabaseItem extends DatabaseView implements FleetDatabaseView {
  tenantId: string;
  tenantName: string | null;
  hostId: string | null;
  hostName: string | null;
}

export class VolumeView implements VolumePlacementView {
  id: string;
  hostId: string;
  hostName: string | null;
  driver: string;
  /** `replica`: a DRBD mirror on the peer host; `incoming`: a move's copy not yet cut over. */
  role: 'primary' | 'replica' | 'incoming';
  sizeGb: number;
  usedBytes: number | null;
  path: string | null;
  lunId: string | null;
  /** DRBD: synced, syncing or degraded. */
  mirrorState: string | null;
}

/** Bulk copies (clone, move, backup, restore): bytes and files done out of the total. */
export class TransferProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export class OperationView implements DomainOperationView {
  id: string;
  type: string;
  status: OperationStatus;
  databaseId: string | null;
  progress: number;
  progressMessage: string | null;
  transfer: TransferProgress | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The admin list: whether an operator may run a failed one again (`POST /admin/v1/operations/:id/retry`). */
export class AdminOperationView extends OperationView {
  retryable: boolean;
}

export class DatabaseEvent {
  type: string;
  message: string;
  createdAt: string;
}

/** One database in depth: volumes (and replicas), recent operations and events. */
export class DatabaseDetail extends FleetDatabaseItem implements DatabaseInspection {
  volumes: VolumeView[];
  operations: OperationView[];
  events: DatabaseEvent[];
}
