import type { DatabaseEntity, HostEntity, PlanEntity, VolumeEntity } from '@app/persistence/entities';

/** The public shape of a database (API contract). */
export interface DatabaseView {
  id: string;
  name: string;
  engine: string;
  version: string;
  plan: string;
  ha: string;
  status: string;
  endpoint: { host: string; port: number } | null;
  /** Extension of the contract: `required` (clear text refused) or `preferred` (TLS offered beside clear text). */
  tls: string;
  /** Extension of the contract: where the data lives and how much of it there is (measured periodically). */
  volume: { driver: string; sizeGb: number; usedBytes: number | null } | null;
  createdAt: string;
  /** HA databases: the host the primary runs on now. */
  primaryHost?: string | null;
}

export function toDatabaseView(
  db: DatabaseEntity,
  plan: PlanEntity | undefined,
  host: HostEntity | undefined,
  volume?: VolumeEntity,
): DatabaseView {
  return {
    id: db.id,
    name: db.name,
    engine: db.engine,
    version: db.version,
    plan: plan?.name ?? 'unknown',
    ha: db.ha,
    status: db.status,
    // HA databases are reached on their floating address, wherever the primary runs.
    endpoint: host && db.port && db.status !== 'deleted' ? { host: db.vip ?? host.address, port: db.port } : null,
    tls: db.tls,
    volume: volume ? { driver: volume.driver, sizeGb: volume.sizeGb, usedBytes: volume.usedBytes } : null,
    ...(db.ha !== 'none' ? { primaryHost: host?.name ?? null } : {}),
    createdAt: db.createdAt.toISOString(),
  };
}
