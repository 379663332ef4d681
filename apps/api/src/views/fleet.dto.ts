import type {
  BackendInventory,
  FleetAlarm as DomainFleetAlarm,
  FleetOverview,
  HostCapacityView,
  HostStorageInventory,
  StorageInventory,
} from '@app/domain';
import type { HostStatus } from '@app/persistence/entities';
import { HostChecks } from './hosts.dto';

export class AlarmHost {
  id: string;
  name: string;
  reason: string;
}

/** The failover worker's brake: automatic fencing stopped until operators decide host by host. */
export class FleetAlarm implements DomainFleetAlarm {
  raised: boolean;
  message: string | null;
  since: string | null;
  /** Hosts not reached and not condemned (grace, brake, witnesses disagreeing), with why. */
  hosts: AlarmHost[];
}

export class Gauge {
  used: number;
  allocatable: number;
}

/** What a host promises against what it can hold (capacity × overcommit). */
export class CapacityRow implements HostCapacityView {
  hostId: string;
  name: string;
  status: HostStatus;
  checks: HostChecks;
  databases: number;
  cpus: Gauge;
  memoryMb: Gauge;
  diskGb: Gauge;
}

export class StatusCounts {
  total: number;
  byStatus: Record<string, number>;
}

export class OperationCounts {
  queued: number;
  running: number;
  failed24h: number;
}

/** `GET /admin/v1/overview`: the console's first page in one read. */
export class Overview implements FleetOverview {
  generatedAt: string;
  hosts: StatusCounts;
  databases: StatusCounts;
  failovers24h: StatusCounts;
  operations: OperationCounts;
  capacity: CapacityRow[];
  alarm: FleetAlarm;
}

export class StorageLun {
  id: string;
  name: string;
  iqn: string;
  sizeGb: number;
  status: string;
  hostId: string | null;
  hostName: string | null;
  databaseId: string | null;
}

// Nullable objects are named classes: the plugin drops `| null` from an inline object type.
export class VolumeGroupSpace {
  sizeBytes: number;
  freeBytes: number;
  lvCount: number;
}

export class ThinPoolSpace {
  sizeBytes: number;
  usedBytes: number;
}

export class StorageBackend implements BackendInventory {
  id: string;
  name: string;
  portalAddress: string;
  volumeGroup: string;
  thinPool: string | null;
  /** The volume group as read live (null: see `error`). */
  vg: VolumeGroupSpace | null;
  /** Thin backends: the pool's size and how much of it is written. */
  pool: ThinPoolSpace | null;
  /** Why `vg` could not be read (the storage server did not answer, or the VG is missing). */
  error: string | null;
  luns: StorageLun[];
}

export class HostDataRoot implements HostStorageInventory {
  hostId: string;
  name: string;
  driver: string;
  dataRoot: string;
  sizeBytes: number | null;
  freeBytes: number | null;
  error: string | null;
}

/** `GET /admin/v1/storage`: SAN backends and every host's data root, read live. */
export class Storage implements StorageInventory {
  backends: StorageBackend[];
  hosts: HostDataRoot[];
}

/** A fleet event (`GET /admin/v1/events`). */
export class EventView {
  id: string;
  type: string;
  message: string;
  tenantId: string | null;
  databaseId: string | null;
  hostId: string | null;
  operationId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}
