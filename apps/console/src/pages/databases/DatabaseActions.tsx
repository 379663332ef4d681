import { useId, useState } from 'react';
import { api } from '../../api/client';
import type { DatabaseDetail } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote, Note } from '../../components/Notice';
import { useAction } from '../../hooks/useAction';
import { usePoll } from '../../hooks/usePoll';

type Kind = 'failover' | 'move';

interface Outcome {
  kind: Kind;
  text: string;
}

/** "Fail over" for HA databases (switchover if its host is up), "Move" for the others (a volume move). */
export function DatabaseActions({ db, onDone }: { db: DatabaseDetail; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState('');
  const action = useAction<Outcome>();
  const hosts = usePoll(api.hosts, 15000);
  const id = useId();
  const kind: Kind = db.ha === 'none' ? 'move' : 'failover';
  const label = kind === 'move' ? 'Move' : 'Fail over';
  const candidates = (hosts.data ?? []).filter((h) => h.status === 'active' && h.id !== db.hostId);
  const hostUp = (hosts.data ?? []).find((h) => h.id === db.hostId)?.status;
  const switchover = hostUp === 'active' || hostUp === 'draining';

  const confirm = async () => {
    await action.run(async () => {
      if (kind === 'move') {
        const r = await api.move(db.id, target || undefined);
        return { kind, text: `Move queued as operation ${r.operationId}.` };
      }
      const f = await api.failover(db.id, target || undefined);
      return { kind, text: `${f.reason === 'switchover' ? 'Switchover' : 'Failover'} ${f.status} (failover ${f.id}).` };
    });
    setOpen(false);
    onDone();
  };

  return (
    <section className="card actions" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="card-title">
        Actions
      </h2>
      <div className="button-row">
        <button
          type="button"
          className="btn btn-danger"
          onClick={() => {
            action.reset();
            setTarget('');
            setOpen(true);
          }}
          disabled={action.pending}
          data-testid={`db-${kind}`}
        >
          {label}
        </button>
        <span className="muted small">
          {kind === 'move'
            ? 'No HA: the database moves by copying its volume to another host.'
            : `HA ${db.ha}: the primary moves to another host and the VIP follows.`}
        </span>
      </div>
      <div aria-live="polite">
        {action.pending && <Note>Working…</Note>}
        {action.error && <ErrorNote error={action.error} prefix="The API refused" />}
        {action.result && (
          <Note tone="good">
            {action.result.text} Follow it on{' '}
            {action.result.kind === 'move' ? (
              <a href="#/operations">Operations</a>
            ) : (
              <a href="#/failovers">Failovers</a>
            )}
            .
          </Note>
        )}
      </div>
      {open && (
        <ConfirmDialog
          title={`${label} ${db.name}?`}
          confirmLabel={label}
          danger
          pending={action.pending}
          onConfirm={() => void confirm()}
          onClose={() => setOpen(false)}
          extra={
            <div className="field">
              <label htmlFor={`${id}-target`}>Target host</label>
              <select id={`${id}-target`} value={target} onChange={(e) => setTarget(e.target.value)}>
                <option value="">
                  {kind === 'move' ? 'Least loaded other active host' : 'Chosen by the platform (peer or SAN host)'}
                </option>
                {candidates.map((h) => (
                  <option key={h.id} value={h.id}>
                    {h.name}
                  </option>
                ))}
              </select>
            </div>
          }
        >
          {kind === 'move' ? (
            <ul>
              <li>
                <strong>{db.name}</strong> (no HA) is moved off {db.hostName ?? 'its host'}: its data is copied to the
                target host while it keeps running, then it <strong>stops briefly</strong> for the final sync and starts
                there.
              </li>
              <li>Its endpoint changes to the new host&apos;s address: clients must reconnect.</li>
              <li>Only a running database can move, and only to an active host.</li>
            </ul>
          ) : (
            <ul>
              <li>
                {switchover ? (
                  <>
                    Its host {db.hostName} is up, so this is a clean <strong>switchover</strong>: the primary is
                    stopped, its storage released, then taken over on the target host.
                  </>
                ) : (
                  <>
                    Its host is {hostUp ?? 'unknown'}, so this is a <strong>failover</strong>: the target host takes the
                    storage over without the old primary.
                  </>
                )}
              </li>
              <li>Its floating address (VIP) follows: clients see a short interruption and reconnect.</li>
            </ul>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
