import { useId, useState } from 'react';
import { api } from '../../api/client';
import type { Accepted, DatabaseDetail, TlsMode } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote, Note } from '../../components/Notice';
import { StatusBadge } from '../../components/StatusBadge';
import { useAction } from '../../hooks/useAction';

const MODES: Record<TlsMode, string> = {
  required: 'Clear text is refused: clients must connect with TLS.',
  preferred: 'TLS is offered beside clear text (Redis: its clear-text port only).',
};

/**
 * The database's TLS mode: shown, and changed by the operator (PUT /admin/v1/databases/:id/tls). A change is a
 * restart of the database (its container is replaced on its volume), so it is confirmed first.
 */
export function DatabaseTls({ db, onDone }: { db: DatabaseDetail; onDone: () => void }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [mode, setMode] = useState<TlsMode>(db.tls);
  const save = useAction<Accepted>();

  const confirm = async () => {
    const ok = await save.run(() => api.setTls(db.id, mode));
    setConfirming(false);
    if (ok) {
      setEditing(false);
      onDone();
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-h`} data-testid="db-tls">
      <h2 id={`${id}-h`} className="card-title">
        TLS
      </h2>
      <p>
        <span data-testid="tls-mode">
          <StatusBadge status={db.tls} tone={db.tls === 'required' ? 'good' : 'warn'} />
        </span>{' '}
        <span className="muted small">{MODES[db.tls]}</span>
      </p>
      {!editing ? (
        <div className="button-row">
          <button
            type="button"
            className="btn"
            onClick={() => {
              save.reset();
              setMode(db.tls === 'required' ? 'preferred' : 'required');
              setEditing(true);
            }}
            data-testid="tls-change"
          >
            Change
          </button>
        </div>
      ) : (
        <form
          aria-label="Change the TLS mode"
          onSubmit={(e) => {
            e.preventDefault();
            setConfirming(true);
          }}
        >
          <div className="field">
            <label htmlFor={`${id}-mode`}>TLS mode</label>
            <select
              id={`${id}-mode`}
              value={mode}
              onChange={(e) => setMode(e.target.value as TlsMode)}
              aria-describedby={`${id}-hint`}
              data-testid="tls-select"
            >
              {(Object.keys(MODES) as TlsMode[]).map((m) => (
                <option key={m} value={m}>
                  {m}
                  {m === db.tls ? ' (current)' : ''}
                </option>
              ))}
            </select>
            <span id={`${id}-hint`} className="hint">
              {MODES[mode]}
            </span>
          </div>
          <div className="button-row">
            <button
              type="submit"
              className="btn btn-primary"
              disabled={save.pending || mode === db.tls}
              data-testid="tls-apply"
            >
              Apply…
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => setEditing(false)} disabled={save.pending}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <div aria-live="polite">
        {save.pending && <Note>Saving…</Note>}
        {save.error && <ErrorNote error={save.error} prefix="The API refused" />}
        {save.result && (
          <Note tone="good">
            Restart with TLS {mode} queued as operation {save.result.operationId} (see{' '}
            <a href="#/operations">Operations</a>); the mode shown changes when it has run.
          </Note>
        )}
      </div>
      {confirming && (
        <ConfirmDialog
          title={`Make TLS ${mode} on ${db.name}?`}
          confirmLabel="Change TLS mode"
          danger
          pending={save.pending}
          onConfirm={() => void confirm()}
          onClose={() => setConfirming(false)}
        >
          <ul>
            <li>
              <strong>{db.name}</strong> is <strong>restarted</strong> with its new mode: open connections are cut and
              clients reconnect.
            </li>
            {mode === 'required' ? (
              <li>From then on clear text is refused: clients that do not use TLS can no longer connect.</li>
            ) : (
              <li>
                From then on clear text is accepted again beside TLS (passwords may cross the network unencrypted).
              </li>
            )}
          </ul>
        </ConfirmDialog>
      )}
    </section>
  );
}
