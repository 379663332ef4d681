import { ago, dateTime } from '../format';
import { useNow } from '../hooks/useNow';

/** A relative time ("12s ago") that keeps ageing, with the exact date on hover and for machines. */
export function Ago({ iso }: { iso: string | null | undefined }) {
  const now = useNow(5000);
  if (!iso) return <span className="muted">never</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {ago(iso, now)}
    </time>
  );
}
