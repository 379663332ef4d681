import type { CheckState, HostChecks, HostHealth } from '../../api/types';
import { Ago } from '../../components/Time';

const MARK: Record<CheckState, string> = { ok: '✓', failed: '✗', unknown: 'unknown' };
const CLASS: Record<CheckState, string> = { ok: 'flag-ok', failed: 'flag-bad', unknown: 'flag-unknown' };

export function Flag({ name, state }: { name: string; state: CheckState }) {
  return (
    <span className={`flag ${CLASS[state]}`} data-testid={`check-${name}`} data-state={state}>
      {`${name} ${MARK[state]}`}
    </span>
  );
}

/** SSH and Docker as the API reports them: ✓, ✗, or unknown when never checked or never reached. */
export function CheckFlags({ checks }: { checks: HostChecks }) {
  return (
    <>
      <Flag name="ssh" state={checks.ssh} /> <Flag name="docker" state={checks.docker} />
    </>
  );
}

/** The failover worker's last check: when, and whether SSH and Docker answered. */
export function HealthFlags({ health, checks }: { health: HostHealth | null; checks: HostChecks }) {
  return (
    <span className="health">
      {health ? <Ago iso={health.checkedAt} /> : <span className="muted">not checked yet</span>}{' '}
      <CheckFlags checks={checks} />
      {health && health.failures > 0 && (
        <span className="flag flag-bad">
          {health.failures} failure{health.failures === 1 ? '' : 's'}
        </span>
      )}
    </span>
  );
}
