import { StatusBadge } from './StatusBadge';

const ORDER = [
  'active',
  'running',
  'succeeded',
  'provisioning',
  'draining',
  'failing-over',
  'queued',
  'stopped',
  'deleting',
  'down',
  'fenced',
  'error',
  'failed',
];

const rank = (s: string) => (ORDER.indexOf(s) === -1 ? ORDER.length : ORDER.indexOf(s));

/** "running 12 · error 1": counts by status, zeroes left out, in a stable order. */
export function StatusCounts({ counts, label }: { counts: Record<string, number>; label: string }) {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b));
  if (!entries.length) return <p className="muted small">none</p>;
  return (
    <ul className="status-counts" aria-label={label}>
      {entries.map(([status, n]) => (
        <li key={status}>
          <StatusBadge status={status} /> <strong>{n}</strong>
        </li>
      ))}
    </ul>
  );
}
