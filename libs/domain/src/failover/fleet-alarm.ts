import type { HostEntity } from '@app/persistence/entities';
import type { EventRepository } from '../ports';

export interface FleetAlarm {
  /** True while the failover worker's brake is on (or it cannot tell whether it is the one cut off). */
  raised: boolean;
  message: string | null;
  since: string | null;
  /** Hosts the control plane cannot reach now but has not condemned, with why. */
  hosts: { id: string; name: string; reason: string }[];
}

/**
 * The fleet alarm as operators see it (console banner, /metrics): raised and cleared by the failover worker's
 * leader as events, so every API replica reads the same state.
 */
export async function readFleetAlarm(events: EventRepository, hosts: HostEntity[]): Promise<FleetAlarm> {
  const [[raised], [cleared]] = await Promise.all([
    events.list({ type: 'fleet.alarm', limit: 1 }),
    events.list({ type: 'fleet.alarm-cleared', limit: 1 }),
  ]);
  const on = !!raised && (!cleared || cleared.createdAt < raised.createdAt);
  return {
    raised: on,
    message: on ? raised.message : null,
    since: on ? raised.createdAt.toISOString() : null,
    hosts: hosts
      .filter((h) => h.health?.verdict === 'unreachable' && (h.status === 'active' || h.status === 'draining'))
      .map((h) => ({ id: h.id, name: h.name, reason: h.health?.detail ?? 'unreachable' })),
  };
}
