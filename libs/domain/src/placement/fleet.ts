import type { HaMode, HostStatus, PlacementSettingsEntity } from '@app/persistence/entities';

/**
 * The fleet as the placement logic sees it: plain data, no entities, no I/O. Callers build it from the host and
 * database repositories (a database's demand is its plan's cpus / memoryMb / diskGb).
 */
export interface Resources {
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

/** How far each resource may be promised beyond the capacity (>= 1 each): allocatable = capacity × ratio. */
export interface Overcommit {
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

/** The operators' overcommit ratios as the placement logic takes them. */
export const overcommitOf = (s: PlacementSettingsEntity): Overcommit => ({
  cpus: s.cpuOvercommit,
  memoryMb: s.memoryOvercommit,
  diskGb: s.diskOvercommit,
});

export interface FleetHost {
  id: string;
  name: string;
  status: HostStatus;
  labels: Record<string, string>;
  capacity: Resources;
  storageDriver: string;
}

export interface FleetDatabase {
  id: string;
  tenantId: string;
  /** Where it runs (for DRBD: the primary). */
  hostId: string;
  /** The DRBD secondary; null otherwise. */
  peerHostId: string | null;
  /** What its plan promises it. */
  demand: Resources;
  ha: HaMode;
}

/** Room promised on a host to a database on its way there (a move or a failover in flight). */
export interface FleetReservation {
  databaseId: string;
  hostId: string;
  demand: Resources;
}

export interface Fleet {
  hosts: FleetHost[];
  databases: FleetDatabase[];
  /** Counted in what the host has promised; the database itself is still where `databases` says. */
  reserved?: FleetReservation[];
}

/** Measured use (the rebalancer's input), per database: cores busy, resident memory, network Mbit/s. */
export interface Measured {
  cpuCores: number;
  memoryMb: number;
  netMbps?: number;
}

export const RESOURCES = ['cpus', 'memoryMb', 'diskGb'] as const;
export type Resource = (typeof RESOURCES)[number];

/** Slack for float sums (0.1 + 0.2 of a core must still fit in 0.3). */
export const EPSILON = 1e-9;

/** Labels that name a failure domain: two replicas never share a value of any of them. */
export const FAILURE_DOMAIN_LABELS = ['rack', 'hypervisor'] as const;

type Domained = Pick<FleetHost, 'id' | 'labels'>;

/** Whether one failure (the host itself, its rack, its hypervisor) can take both hosts down. */
export function sharesFailureDomain(a: Domained, b: Domained): boolean {
  if (a.id === b.id) return true;
  return FAILURE_DOMAIN_LABELS.some((k) => a.labels[k] !== undefined && a.labels[k] === b.labels[k]);
}

/** The unit whose loss the tenant-spread rule bounds: the hypervisor label, else the host itself. */
export function hypervisorOf(host: Domained): string {
  return host.labels.hypervisor !== undefined ? `hv:${host.labels.hypervisor}` : `host:${host.id}`;
}

export function zero(): Resources {
  return { cpus: 0, memoryMb: 0, diskGb: 0 };
}

/** acc += sign × d, in place. */
export function addInto(acc: Resources, d: Resources, sign = 1): Resources {
  acc.cpus += sign * d.cpus;
  acc.memoryMb += sign * d.memoryMb;
  acc.diskGb += sign * d.diskGb;
  return acc;
}

export function allocatable(capacity: Resources, overcommit: Overcommit): Resources {
  return {
    cpus: capacity.cpus * overcommit.cpus,
    memoryMb: capacity.memoryMb * overcommit.memoryMb,
    diskGb: capacity.diskGb * overcommit.diskGb,
  };
}

/** Whether `demand` fits beside `used` within `limit`, on every resource. */
export function fitsWithin(used: Resources, demand: Resources, limit: Resources): boolean {
  // Spelled out: this runs for every host on every placement.
  return (
    used.cpus + demand.cpus <= limit.cpus + EPSILON &&
    used.memoryMb + demand.memoryMb <= limit.memoryMb + EPSILON &&
    used.diskGb + demand.diskGb <= limit.diskGb + EPSILON
  );
}

/** Deterministic string order (code units, not the locale). */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
