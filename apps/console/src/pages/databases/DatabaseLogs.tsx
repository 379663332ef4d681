import { useEffect, useRef } from 'react';
import { api } from '../../api/client';
import { ErrorNote } from '../../components/Notice';
import { UpdatedAgo } from '../../components/UpdatedAgo';
import { usePoll } from '../../hooks/usePoll';

/** The container's last 200 lines, kept scrolled to the end unless the operator scrolled up to read. */
export function DatabaseLogs({ id }: { id: string }) {
  const poll = usePoll(() => api.logs(id, 200), 5000, [id]);
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const lines = poll.data?.lines;

  useEffect(() => {
    const el = pre.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <section className="card" aria-labelledby="db-logs">
      <div className="card-head">
        <h2 id="db-logs" className="card-title">
          Container logs <span className="muted small">(last 200 lines)</span>
        </h2>
        <UpdatedAgo updatedAt={poll.updatedAt} error={poll.error} onRefresh={poll.refresh} />
      </div>
      {!lines && poll.error ? (
        <ErrorNote error={poll.error} prefix="No logs" />
      ) : (
        <pre
          ref={pre}
          className="logs"
          tabIndex={0}
          aria-label="Container logs"
          data-testid="db-logs"
          onScroll={(e) => {
            const el = e.currentTarget;
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {lines ? (lines.length ? lines.join('\n') : '(no output)') : 'Loading…'}
        </pre>
      )}
    </section>
  );
}
