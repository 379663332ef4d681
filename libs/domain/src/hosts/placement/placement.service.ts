import type { HostEntity, PlanEntity } from '@app/persistence/entities';
import type { HostUsage } from '../../ports';

/** How far each resource may be promised beyond the host's capacity (operators tune these; see the placement issue). */
export const DEFAULT_OVERCOMMIT = { cpus: 4, memoryMb: 1, diskGb: 1 };

export interface LeastLoadedRequest {
  plan: Pick<PlanEntity, 'cpus' | 'memoryMb' | 'diskGb'>;
  storageDriver?: string;
  /** Further conditions on the host (HA: a VIP interface, a replication address, not the primary's domain). */
  accept?: (host: HostEntity) => boolean;
}

/** Labels that name a failure domain: two replicas never share a value of any of them. */
export const FAILURE_DOMAIN_LABELS = ['rack', 'hypervisor'] as const;

/** Whether a failure of one thing (the host itself, its rack, its hypervisor) can take both hosts down. */
export function sharesFailureDomain(a: HostEntity, b: HostEntity): boolean {
  if (a.id === b.id) return true;
  return FAILURE_DOMAIN_LABELS.some((k) => a.labels[k] !== undefined && a.labels[k] === b.labels[k]);
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
