import type { HostEntity, PlanEntity } from '@app/persistence/entities';
import type { HostUsage } from '../ports';
import { FAILURE_DOMAIN_LABELS, sharesFailureDomain } from './fleet';

// The failure-domain rule is the placement engine's; re-exported for the takeover and older callers.
export { FAILURE_DOMAIN_LABELS, sharesFailureDomain };

/** How far each resource may be promised beyond the host's capacity (operators tune these; see the placement issue). */
export const DEFAULT_OVERCOMMIT = { cpus: 4, memoryMb: 1, diskGb: 1 };

export interface LeastLoadedRequest {
  plan: Pick<PlanEntity, 'cpus' | 'memoryMb' | 'diskGb'>;
  storageDriver?: string;
  /** Further conditions on the host (HA: a VIP interface, a replication address, not the primary's domain). */
  accept?: (host: HostEntity) => boolean;
}

/**
 * The least-loaded choice, kept for failover takeovers (where spreading the survivors' load matters more than
 * packing) and as the placement benchmark's baseline. New databases are placed by `placement/place.ts`.
 */
export function chooseHost(
  hosts: HostEntity[],
  usage: HostUsage[],
  req: LeastLoadedRequest,
  overcommit = DEFAULT_OVERCOMMIT,
): HostEntity | null {
  const used = new Map(usage.map((u) => [u.hostId, u]));
  let best: { host: HostEntity; load: number } | null = null;
  for (const host of hosts) {
    if (host.status !== 'active') continue;
    if (req.storageDriver && host.storageDriver !== req.storageDriver) continue;
    if (req.accept && !req.accept(host)) continue;
    const u = used.get(host.id) ?? { cpus: 0, memoryMb: 0, diskGb: 0 };
    const load = Math.max(
      ...(['cpus', 'memoryMb', 'diskGb'] as const).map(
        (r) => (u[r] + req.plan[r]) / (host.capacity[r] * overcommit[r]),
      ),
    );
    if (load > 1) continue;
    if (!best || load < best.load) best = { host, load };
  }
  return best?.host ?? null;
}
