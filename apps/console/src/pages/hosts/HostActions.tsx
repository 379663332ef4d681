import { useId, useState, type ReactNode } from 'react';
import { api } from '../../api/client';
import type { ActivateResult, FenceResult, HostAction, HostDetail, MoveAwayResult } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote, Note } from '../../components/Notice';
import { useAction } from '../../hooks/useAction';
import { href } from '../../hooks/useHashRoute';
import { HostActionResult } from './HostActionResult';

type Result = MoveAwayResult | FenceResult | ActivateResult;

interface HostActionsProps {
  host: HostDetail;
  /** Polls the host again once an action answered. */
  onDone: () => void;
}

const LABELS: Record<HostAction, string> = {
  drain: 'Drain',
  evacuate: 'Evacuate',
  fence: 'Fence',
  activate: 'Activate',
};

/** Why an action cannot run now (the API would refuse it), or null. */
function blocked(action: HostAction, host: HostDetail): string | null {
  const down = host.status === 'down' || host.status === 'fenced';
  switch (action) {
    case 'drain':
      return down ? `${host.name} is ${host.status}: evacuate it instead` : null;
    case 'evacuate':
      return null;
    case 'fence':
      if (host.connection === 'local') return 'the control plane host cannot be fenced';
      return host.status === 'fenced' ? 'already fenced' : null;
    case 'activate':
      return host.status === 'active' ? 'already active' : null;
  }
}

function fencingMethod(host: HostDetail): ReactNode {
  const f = host.fencing;
  const ssh = host.connection === 'ssh' && (f?.driver !== 'agent' || f.sshPoweroff);
  if (f?.driver === 'agent')
    return (
      <>
        its fence agent <code>{f.agent}</code>, confirmed only when the agent&apos;s status says the power is off
        {ssh && (
          <>
            {' '}
            (and <code>poweroff -f</code> over SSH at the same time)
          </>
        )}
      </>
    );
  return (
    <>
      no confirming fence method
      {ssh && (
        <>
          {' '}
          (<code>poweroff -f</code> over SSH is sent, but it proves nothing)
        </>
      )}
      : it stays <em>down</em> until you confirm it is off
    </>
  );
}

/** The consequence of each action, worded from what the failover use cases (libs/domain/src/failover/use-cases) do. */
function consequence(action: HostAction, host: HostDetail): ReactNode {
  const n = host.name;
  const down = host.status === 'down' || host.status === 'fenced';
  const dbs = `${host.placed.length} database${host.placed.length === 1 ? '' : 's'}`;
  switch (action) {
    case 'drain':
      return (
        <ul>
          <li>
            <strong>{n}</strong> stops taking new databases (status <em>draining</em>) until you activate it again.
          </li>
          <li>
            Each HA database whose primary runs here is <strong>switched over</strong> to another host: stopped,
            released, then taken over; its floating address (VIP) follows, so clients see a short interruption.
          </li>
          <li>
            Each database without HA is <strong>moved</strong> to another host: its data is copied while it runs, then
            it stops briefly for the final sync.
          </li>
          <li>It has {dbs} now; those that cannot move are listed in the result.</li>
        </ul>
      );
    case 'evacuate':
      return down ? (
        <ul>
          <li>
            <strong>{n}</strong> is {host.status}: each HA database whose primary ran here is{' '}
            <strong>failed over</strong> to another host — SAN ones at once, DRBD ones only once the host is fenced
            (fence it if it is not).
          </li>
          <li>
            Databases without HA <strong>cannot move</strong>: their data is on the unreachable host. They stay
            unavailable until it returns.
          </li>
          <li>It has {dbs}; the result lists what was started and what was not moved.</li>
        </ul>
      ) : (
        <ul>
          <li>
            Everything off <strong>{n}</strong> now: it stops taking new databases (status <em>draining</em>).
          </li>
          <li>
            HA primaries are <strong>switched over</strong> to other hosts (their VIP follows); databases without HA are{' '}
            <strong>moved</strong> (copied while running, then a short stop).
          </li>
          <li>It has {dbs}; the result lists what was started and what was not moved.</li>
        </ul>
      );
    case 'fence':
      return (
        <ul>
          <li>
            <strong>{n}</strong> is declared down and <strong>powered off</strong> through {fencingMethod(host)}.
          </li>
          <li>
            Each HA database whose primary runs there is <strong>failed over</strong> to another host (not a clean
            switchover); its VIP follows.
          </li>
          <li>
            If the power-off cannot be confirmed the host stays <em>down</em>: SAN databases are still taken over, DRBD
            ones wait until it is fenced.
          </li>
          <li>
            Databases without HA on it become <strong>unavailable</strong> until the host is back and activated.
          </li>
        </ul>
      );
    case 'activate':
      return (
        <ul>
          <li>Check the machine first: it will serve databases again.</li>
          {down && (
            <li>
              Containers of databases that moved away while <strong>{n}</strong> was {host.status} are removed from it,
              and its DRBD copies rejoin as secondaries (and resync).
            </li>
          )}
          <li>
            <strong>{n}</strong> becomes <em>active</em> and takes new databases again. Databases already moved away do
            not come back.
          </li>
        </ul>
      );
  }
}

export function HostActions({ host, onDone }: HostActionsProps) {
  const [open, setOpen] = useState<HostAction | null>(null);
  const [poweredOff, setPoweredOff] = useState(false);
  const action = useAction<{ action: HostAction; result: Result }>();
  const id = useId();

  const start = (a: HostAction) => {
    action.reset();
    setPoweredOff(false);
    setOpen(a);
  };

  const confirm = async () => {
    const a = open;
    if (!a) return;
    await action.run(async () => {
      const result: Result =
        a === 'drain'
          ? await api.drain(host.id)
          : a === 'evacuate'
            ? await api.evacuate(host.id)
            : a === 'fence'
              ? await api.fence(host.id, host.name, poweredOff)
              : await api.activate(host.id);
      return { action: a, result };
    });
    setOpen(null);
    onDone();
  };

  return (
    <section className="card actions" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="card-title">
        Actions
      </h2>
      <div className="button-row">
        {(['drain', 'evacuate', 'fence', 'activate'] as const).map((a) => {
          const why = blocked(a, host);
          return (
            <button
              key={a}
              type="button"
              className={a === 'fence' ? 'btn btn-danger' : a === 'activate' ? 'btn btn-primary' : 'btn'}
              disabled={!!why || action.pending}
              title={why ?? undefined}
              aria-describedby={why ? `${id}-${a}-why` : undefined}
              onClick={() => start(a)}
              data-testid={`host-${a}`}
            >
              {LABELS[a]}
            </button>
          );
        })}
      </div>
      {(['drain', 'evacuate', 'fence', 'activate'] as const).map((a) => {
        const why = blocked(a, host);
        return why ? (
          <p key={a} id={`${id}-${a}-why`} className="muted small">
            {LABELS[a]}: {why}.
          </p>
        ) : null;
      })}
      <div aria-live="polite" data-testid="host-action-result">
        {action.pending && <Note>Working…</Note>}
        {action.error && <ErrorNote error={action.error} prefix="The API refused" />}
        {action.result && <HostActionResult action={action.result.action} result={action.result.result} />}
      </div>
      {open && (
        <ConfirmDialog
          title={`${LABELS[open]} ${host.name}?`}
          confirmLabel={`${LABELS[open]} ${host.name}`}
          danger={open !== 'activate'}
          requireText={open === 'fence' ? host.name : undefined}
          pending={action.pending}
          onConfirm={() => void confirm()}
          onClose={() => setOpen(null)}
          extra={
            open === 'fence' ? (
              <div className="field field-check">
                <input
                  id={`${id}-off`}
                  type="checkbox"
                  checked={poweredOff}
                  onChange={(e) => setPoweredOff(e.target.checked)}
                />
                <label htmlFor={`${id}-off`}>
                  I powered it off myself: record it as fenced without running any fencing method
                </label>
              </div>
            ) : undefined
          }
        >
          {consequence(open, host)}
          {open !== 'activate' && host.placed.length > 0 && (
            <p className="small">
              Databases on it:{' '}
              {host.placed.map((d, i) => (
                <span key={d.id}>
                  {i > 0 && ', '}
                  <a href={href('databases', d.id)}>{d.name}</a> <span className="muted">(ha {d.ha})</span>
                </span>
              ))}
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
