import {
  allocatable,
  EPSILON,
  fitsWithin,
  RESOURCES,
  zero,
  type FleetHost,
  type Overcommit,
  type Resources,
} from './fleet';
import { AMOUNT, num } from './place';

/** A plan as the fit check sees it: its demand, and the storage driver its hosts must have (null: any). */
export interface PlanDemand extends Resources {
  name: string;
  storageDriver?: string | null;
}

export type PlanFit =
  /** At least one active host could hold one database of the plan when empty. */
  | { verdict: 'fits' }
  /** Active hosts exist and none of them ever could: the request cannot succeed. */
  | { verdict: 'too-large'; reason: string }
  /** No active host to judge by (all draining, down or fenced): a passing state, placement answers it. */
  | { verdict: 'no-host' };

/**
 * The most one container can be given on the host when nothing else runs there: what placement allows on an
 * empty host (capacity × the operators' overcommit), except CPUs: overcommit shares cores between containers but
 * adds none, and the container engine refuses a container more CPUs than the machine has.
 */
export function containerRoom(capacity: Resources, overcommit: Overcommit): Resources {
  const alloc = allocatable(capacity, overcommit);
  return { cpus: Math.min(capacity.cpus, alloc.cpus), memoryMb: alloc.memoryMb, diskGb: alloc.diskGb };
}

/** Whether one database of `demand` could ever run on the host (alone on it). */
export function holdsOne(capacity: Resources, demand: Resources, overcommit: Overcommit): boolean {
  return fitsWithin(zero(), demand, containerRoom(capacity, overcommit));
}

/**
 * Whether the plan can ever be placed: some active host (with the plan's storage driver, if it names one) could
 * hold one database of it when empty. Room taken by other databases does not count here: that passes (a 503
 * from placement); a plan no host can hold even empty never will, until the fleet or the overcommit changes.
 */
export function planFit(
  hosts: Pick<FleetHost, 'name' | 'status' | 'capacity' | 'storageDriver'>[],
  plan: PlanDemand,
  overcommit: Overcommit,
): PlanFit {
  const eligible = hosts.filter(
    (h) => h.status === 'active' && (!plan.storageDriver || h.storageDriver === plan.storageDriver),
  );
  if (!eligible.length) return { verdict: 'no-host' };
  if (eligible.some((h) => holdsOne(h.capacity, plan, overcommit))) return { verdict: 'fits' };
  const where = `any active host${plan.storageDriver ? ` with storage driver ${plan.storageDriver}` : ''}`;
  const rooms = eligible.map((h) => ({ name: h.name, room: containerRoom(h.capacity, overcommit) }));
  const short = RESOURCES.filter((r) => rooms.every((h) => plan[r] > h.room[r] + EPSILON)).map((r) => {
    const best = rooms.reduce((a, b) => (b.room[r] > a.room[r] ? b : a));
    return `${AMOUNT[r](plan[r])} asked, at most ${num(best.room[r])} on one host (${best.name})`;
  });
  // Each resource fits somewhere, but never all of them on the same host.
  const detail = short.length
    ? short.join('; ')
    : `none has ${RESOURCES.map((r) => AMOUNT[r](plan[r])).join(', ')} at once`;
  return {
    verdict: 'too-large',
    reason: `plan "${plan.name}" is larger than ${where} can hold for one database: ${detail}; see GET /v1/plans`,
  };
}

/**
 * Why one database of the plan could never run on this host (null: it could). For changes made in place, such as
 * a resize, which stay on the database's host whatever its status.
 */
export function hostShortfall(
  host: Pick<FleetHost, 'name' | 'capacity'>,
  plan: PlanDemand,
  overcommit: Overcommit,
): string | null {
  const room = containerRoom(host.capacity, overcommit);
  const short = RESOURCES.filter((r) => plan[r] > room[r] + EPSILON).map(
    (r) => `${AMOUNT[r](plan[r])} asked, at most ${num(room[r])} there`,
  );
  return short.length ? `plan "${plan.name}" does not fit on host ${host.name}: ${short.join('; ')}` : null;
}
