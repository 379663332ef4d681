import type { ReactNode } from 'react';

/** An error answer, worded by the API (its `message`). */
export function ErrorNote({ error, prefix }: { error: Error | undefined; prefix?: string }) {
  if (!error) return null;
  return (
    <p className="note note-bad" role="alert">
      {prefix ? `${prefix}: ` : ''}
      {error.message}
    </p>
  );
}

export function Note({ tone = 'info', children }: { tone?: 'info' | 'good' | 'warn' | 'bad'; children: ReactNode }) {
  return (
    <div className={`note note-${tone}`} role="status">
      {children}
    </div>
  );
}

/** First load: nothing yet, or the error that prevented it. */
export function Loading({ error }: { error?: Error }) {
  if (error) return <ErrorNote error={error} prefix="Could not load" />;
  return <p className="muted loading">Loading…</p>;
}
