import { ago } from '../format';
import { useNow } from '../hooks/useNow';

interface UpdatedAgoProps {
  updatedAt: number | null;
  error?: Error;
  onRefresh?: () => void;
}

/** How fresh the page is; a failed poll keeps the old data on screen and says so here. */
export function UpdatedAgo({ updatedAt, error, onRefresh }: UpdatedAgoProps) {
  const now = useNow(1000);
  const stale = !!error;
  return (
    <div className={`updated${stale ? ' updated-stale' : ''}`}>
      <span className="updated-dot" aria-hidden="true" />
      <span>
        {updatedAt === null ? 'loading…' : `updated ${ago(updatedAt, now)}`}
        {stale ? ` · last refresh failed: ${error.message}` : ''}
      </span>
      {onRefresh && (
        <button type="button" className="btn-link" onClick={onRefresh}>
          Refresh
        </button>
      )}
    </div>
  );
}
