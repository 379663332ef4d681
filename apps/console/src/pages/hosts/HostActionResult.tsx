import type { ActivateResult, FenceResult, HostAction, MoveAwayResult } from '../../api/types';
import { Note } from '../../components/Notice';
import { StatusBadge } from '../../components/StatusBadge';
import { href } from '../../hooks/useHashRoute';

interface HostActionResultProps {
  action: HostAction;
  result: MoveAwayResult | FenceResult | ActivateResult;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What the API says it did: failovers started, moves queued, what could not move, how fencing went. */
export function HostActionResult({ action, result }: HostActionResultProps) {
  const failovers = 'failovers' in result ? result.failovers : [];
  const failed = 'fencing' in result && result.fencing && !result.fencing.fenced;
  const notMoved = 'notMoved' in result ? result.notMoved : [];
  return (
    <Note tone={failed || notMoved.length ? 'warn' : 'good'}>
      <p>
        <strong>{action}</strong>: host {result.host} is now <StatusBadge status={result.status} />
      </p>
      {'fencing' in result && result.fencing && (
        <p>
          Fencing ({result.fencing.method}): {result.fencing.fenced ? 'powered off' : 'not confirmed'} —{' '}
          {result.fencing.detail}
        </p>
      )}
      {'failovers' in result && (
        <p>
          {plural(failovers.length, 'failover')} started
          {failovers.length > 0 && (
            <>
              {' '}
              — follow them on <a href="#/failovers">Failovers</a>
            </>
          )}
          .
        </p>
      )}
      {'moves' in result && result.moves.length > 0 && (
        <div>
          {plural(result.moves.length, 'move')} queued:
          <ul>
            {result.moves.map((m) => (
              <li key={m.id}>
                <a href={href('databases', m.id)}>{m.name}</a> — <a href="#/operations">operation</a>{' '}
                <span className="mono small">{m.operationId}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {notMoved.length > 0 && (
        <div>
          Not moved:
          <ul>
            {notMoved.map((m) => (
              <li key={m.id}>
                <a href={href('databases', m.id)}>{m.name}</a>: {m.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {'removedContainers' in result && (
        <p>
          {plural(result.removedContainers.length, 'stale container')} removed,{' '}
          {plural(result.rejoinedMirrors.length, 'DRBD mirror')} rejoined.
        </p>
      )}
    </Note>
  );
}
