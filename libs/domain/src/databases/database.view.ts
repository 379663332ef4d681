import type { DatabaseEntity, HostEntity, PlanEntity, QuotaState, VolumeEntity } from '@app/persistence/entities';
import { nextQuotaState, quotaNotice } from '../volumes/quota';

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
  /**
   * Extension: how full a directory volume is against its plan, and what that means (null: not measured yet, or a
   * volume with a hard size of its own). `state`: ok, warning (80 %), critical (90 %), read-only (100 %: writes are
   * refused until it holds less than its plan); `notice` says so in words; `enforcedBy`: the filesystem's quota
   * (a hard stop) or the measurement.
   */
  quota?: DatabaseQuotaView | null;
  createdAt: string;
  /** HA databases: the host the primary runs on now. */
  primaryHost?: string | null;
  /** Extension: the source networks allowed to connect (canonical CIDRs); empty: anyone. */
  allowedCidrs: string[];
}

export interface DatabaseQuotaView {
  usedBytes: number;
  limitBytes: number;
  state: QuotaState;
  notice: string | null;
  enforcedBy: 'filesystem' | 'measured' | null;
  since: string | null;
}

function quotaView(volume: VolumeEntity | undefined): DatabaseQuotaView | null {
  if (!volume || volume.driver !== 'directory' || volume.usedBytes === null) return null;
  const limitBytes = volume.sizeGb * 2 ** 30;
  // Measured but not judged yet (the round is under way): its level, but never read-only before the engine is.
  const level = nextQuotaState(null, volume.usedBytes, limitBytes);
  const state = volume.quotaState ?? (level === 'read-only' ? 'critical' : level);
  return {
    usedBytes: volume.usedBytes,
    limitBytes,
    state,
    notice: quotaNotice(state, volume.usedBytes, limitBytes),
    enforcedBy: volume.quotaEnforcedBy,
    since: volume.quotaChangedAt?.toISOString() ?? null,
  };
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
    ...(volume?.driver === 'directory' ? { quota: quotaView(volume) } : {}),
    ...(db.ha !== 'none' ? { primaryHost: host?.name ?? null } : {}),
    allowedCidrs: db.allowedCidrs ?? [],
    createdAt: db.createdAt.toISOString(),
  };
}
