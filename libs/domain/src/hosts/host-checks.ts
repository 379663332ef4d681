import type { HostEntity } from '@app/persistence/entities';

/** One health check as shown to operators: `unknown` when nothing was learnt (never checked, never reached). */
export type CheckState = 'ok' | 'failed' | 'unknown';

export interface HostChecks {
  ssh: CheckState;
  docker: CheckState;
}

/** What the failover worker's last look at the host (`health`) says of SSH and Docker, without guessing. */
export function hostChecks(h: Pick<HostEntity, 'health' | 'lastSeenAt'>): HostChecks {
  const health = h.health;
  if (!health) return { ssh: 'unknown', docker: 'unknown' };
  // A host never reached is not known to have SSH at all (the probe's error is in `health.detail`).
  const ssh: CheckState = health.ssh ? 'ok' : h.lastSeenAt ? 'failed' : 'unknown';
  // Docker is known only from a check made while SSH answered (an older record may say `docker: true` without one).
  const docker: CheckState =
    !health.ssh || health.docker === null || health.docker === undefined ? 'unknown' : health.docker ? 'ok' : 'failed';
  return { ssh, docker };
}
