import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';

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
  createdAt: string;
}

export function toDatabaseView(
  db: DatabaseEntity,
  plan: PlanEntity | undefined,
  host: HostEntity | undefined,
): DatabaseView {
  return {
    id: db.id,
    name: db.name,
    engine: db.engine,
    version: db.version,
    plan: plan?.name ?? 'unknown',
    ha: db.ha,
    status: db.status,
    endpoint: host && db.port && db.status !== 'deleted' ? { host: host.address, port: db.port } : null,
    createdAt: db.createdAt.toISOString(),
  };
}
