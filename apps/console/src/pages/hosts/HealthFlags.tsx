import type { HostHealth } from '../../api/types';
import { Ago } from '../../components/Time';

function Flag({ name, ok }: { name: string; ok: boolean }) {
  return <span className={`flag ${ok ? 'flag-ok' : 'flag-bad'}`}>{`${name} ${ok ? '✓' : '✗'}`}</span>;
}

/** The failover worker's last check: when, and whether SSH and Docker answered. */
export function HealthFlags({ health }: { health: HostHealth | null }) {
  if (!health) return <span className="muted">not checked yet</span>;
  return (
    <span className="health">
      <Ago iso={health.checkedAt} /> <Flag name="ssh" ok={health.ssh} /> <Flag name="docker" ok={health.docker} />
      {health.failures > 0 && (
        <span className="flag flag-bad">
          {health.failures} failure{health.failures === 1 ? '' : 's'}
        </span>
      )}
    </span>
  );
}
