import type { OperationView } from '../../api/types';
import { OperationProgress } from '../../components/OperationProgress';
import { progressTone, StatusBadge } from '../../components/StatusBadge';
import { Ago } from '../../components/Time';
import { seconds, shortId } from '../../format';
import { href } from '../../hooks/useHashRoute';

interface OperationRowProps {
  op: OperationView;
  busy: boolean;
  onRetry: () => void;
}

function took(op: OperationView): string | null {
  if (!op.startedAt) return null;
  const end = op.finishedAt ? Date.parse(op.finishedAt) : Date.now();
  return seconds(end - Date.parse(op.startedAt));
}

export function OperationRow({ op, busy, onRetry }: OperationRowProps) {
  const duration = took(op);
  return (
    <tr data-testid={`op-row-${op.id}`} className={`row-${op.status}`}>
      <th scope="row">
        {op.type}
        <div className="mono small muted" title={op.id}>
          {shortId(op.id)}
        </div>
      </th>
      <td>
        <StatusBadge status={op.status} tone={progressTone(op.status)} />
        {op.attempts > 1 && <div className="small muted">{op.attempts} attempts</div>}
      </td>
      <td>
        {op.databaseId ? (
          <a href={href('databases', op.databaseId)} className="mono">
            {shortId(op.databaseId)}
          </a>
        ) : (
          '—'
        )}
      </td>
      <td className="wide">
        <OperationProgress op={op} />
      </td>
      <td className="small nowrap">
        <Ago iso={op.createdAt} />
        {duration && <div className="muted">{op.finishedAt ? `took ${duration}` : `running ${duration}`}</div>}
      </td>
      <td>
        {op.retryable && (
          <button
            type="button"
            className="btn btn-small"
            onClick={onRetry}
            disabled={busy}
            data-testid={`op-retry-${op.id}`}
          >
            Retry
          </button>
        )}
      </td>
    </tr>
  );
}
