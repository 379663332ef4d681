import { useId, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { AllowListAccepted, DatabaseDetail } from '../../api/types';
import { ErrorNote, Note } from '../../components/Notice';
import { useAction } from '../../hooks/useAction';

/** One entry per line (or separated by commas or spaces); the API checks each one and says which is wrong. */
export function parseCidrLines(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The database's IP allow-list: shown, and replaced by the operator (PUT /admin/v1/databases/:id/allowed-cidrs).
 * The API refuses a bad list whole (nothing changes); an accepted one is put on the host without a restart.
 */
export function DatabaseAllowList({ db, onDone }: { db: DatabaseDetail; onDone: () => void }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const save = useAction<AllowListAccepted>();
  const list = db.allowedCidrs ?? [];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await save.run(() => api.setAllowedCidrs(db.id, parseCidrLines(text)));
    if (ok) {
      setEditing(false);
      onDone();
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-h`} data-testid="db-allow-list">
      <h2 id={`${id}-h`} className="card-title">
        IP allow-list
      </h2>
      {list.length === 0 ? (
        <p className="muted" data-testid="allow-list-open">
          Anyone may connect (no allow-list).
        </p>
      ) : (
        <ul className="chips" aria-label="Allowed source networks" data-testid="allow-list-entries">
          {list.map((c) => (
            <li key={c} className="chip mono">
              {c}
            </li>
          ))}
        </ul>
      )}
      {!editing ? (
        <div className="button-row">
          <button
            type="button"
            className="btn"
            onClick={() => {
              save.reset();
              setText(list.join('\n'));
              setEditing(true);
            }}
            data-testid="allow-list-edit"
          >
            Edit
          </button>
        </div>
      ) : (
        <form onSubmit={submit} aria-label="Edit the IP allow-list">
          <div className="field">
            <label htmlFor={`${id}-cidrs`}>Allowed source networks</label>
            <textarea
              id={`${id}-cidrs`}
              className="mono"
              rows={Math.min(10, Math.max(3, list.length + 1))}
              value={text}
              onChange={(e) => setText(e.target.value)}
              spellCheck={false}
              autoComplete="off"
              aria-describedby={`${id}-hint`}
              data-testid="allow-list-input"
            />
            <span id={`${id}-hint`} className="hint">
              One CIDR per line in canonical form, e.g. 203.0.113.0/24 or 2001:db8::/32 (a single address: /32 or /128);
              at most 64. Empty: anyone may connect. Applied on the host at once, without a restart.
            </span>
          </div>
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={save.pending} data-testid="allow-list-save">
              Save
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
            {save.result.allowedCidrs.length
              ? `Now reachable only from ${save.result.allowedCidrs.length} network(s)`
              : 'Now reachable from anywhere'}
            ; applied by operation {save.result.operationId} (see <a href="#/operations">Operations</a>).
          </Note>
        )}
      </div>
    </section>
  );
}
