export function Labels({ labels }: { labels: Record<string, string> | null | undefined }) {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return <span className="muted">—</span>;
  return (
    <ul className="chips" aria-label="Labels">
      {entries.map(([k, v]) => (
        <li key={k} className="chip">
          {k}={v}
        </li>
      ))}
    </ul>
  );
}
