import { useState } from 'react';
import { api } from '../../api/client';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote, Loading, Note } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { useAction } from '../../hooks/useAction';
import { usePoll } from '../../hooks/usePoll';
import type { RebalanceResult } from '../../api/types';

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** N+1 (could the fleet lose any one host now?) and the rebalancer's proposal for hotspots, with apply. */
export function CapacityPage() {
  const losses = usePoll(() => api.nPlusOne(), 5000);
  const proposal = usePoll(() => api.rebalance(), 5000);
  const settings = usePoll(() => api.placementSettings(), 10000);
  const apply = useAction<RebalanceResult>();
  const [confirming, setConfirming] = useState(false);
  const moves = proposal.data?.moves ?? [];
  const exposed = (losses.data ?? []).filter((l) => !l.fits);

  return (
    <section data-testid="page-capacity">
      <PageHeader title="Capacity" poll={losses} />
      {settings.data && (
        <p className="muted small">
          Overcommit: CPU ×{settings.data.overcommit.cpus}, memory ×{settings.data.overcommit.memoryMb}, disk ×
          {settings.data.overcommit.diskGb}. Hotspot above {pct(settings.data.hotspot.cpu)} CPU or{' '}
          {pct(settings.data.hotspot.memory)} memory in use.
        </p>
      )}

      <h2>If a host died now (N+1)</h2>
      {!losses.data ? (
        <Loading error={losses.error} />
      ) : (
        <>
          {exposed.length === 0 ? (
            <Note tone="good">The fleet can absorb the loss of any one host.</Note>
          ) : (
            <Note tone="bad">
              {exposed.length} host{exposed.length > 1 ? 's' : ''} whose loss could not be absorbed:{' '}
              {exposed.map((l) => l.name).join(', ')}.
            </Note>
          )}
          <Table label="Host losses">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Databases</th>
                <th scope="col">Absorbed</th>
                <th scope="col">Where they would go</th>
              </tr>
            </thead>
            <tbody>
              {losses.data.length === 0 && <EmptyRow cols={4}>No hosts.</EmptyRow>}
              {losses.data.map((l) => (
                <tr key={l.hostId} data-testid={`loss-${l.name}`}>
                  <th scope="row">
                    <a href={`#/hosts/${l.hostId}`}>{l.name}</a>
                  </th>
                  <td className="num">{l.databases}</td>
                  <td>
                    <StatusBadge status={l.fits ? 'yes' : 'no'} tone={l.fits ? 'good' : 'bad'} />
                  </td>
                  <td className="small">
                    {l.placements.length === 0
                      ? '—'
                      : l.placements.map((p) => (
                          <div key={p.databaseId}>
                            <a href={`#/databases/${p.databaseId}`}>{p.database}</a> →{' '}
                            {p.to ? p.toName : <span className="bad-text">no place: {p.reason}</span>}
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}

      <h2>Hotspots and rebalancing</h2>
      {!proposal.data ? (
        <Loading error={proposal.error} />
      ) : (
        <>
          <p className="muted small">
            Measured use of each host (from the containers&apos; samples
            {proposal.data.measuredSince
              ? `, oldest ${new Date(proposal.data.measuredSince).toLocaleTimeString()}`
              : ': nothing measured yet'}
            ).
          </p>
          <Table label="Measured load">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">CPU</th>
                <th scope="col">Memory</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {proposal.data.hosts.map((h) => (
                <tr key={h.hostId}>
                  <th scope="row">{h.name}</th>
                  <td className="num">{pct(h.cpu)}</td>
                  <td className="num">{pct(h.memory)}</td>
                  <td>
                    <StatusBadge status={h.hotspot ? 'hotspot' : 'ok'} tone={h.hotspot ? 'bad' : 'good'} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          {moves.length === 0 ? (
            <Note tone="good">No move needed.</Note>
          ) : (
            <>
              <ol className="small" data-testid="rebalance-moves">
                {moves.map((m) => (
                  <li key={m.databaseId}>
                    move <a href={`#/databases/${m.databaseId}`}>{m.database}</a> from {m.fromName} to {m.toName}{' '}
                    <span className="muted">({m.reason})</span>
                  </li>
                ))}
              </ol>
              <button type="button" className="btn btn-primary" onClick={() => setConfirming(true)}>
                Apply {moves.length} move{moves.length > 1 ? 's' : ''}
              </button>
            </>
          )}
          {proposal.data.unresolved.length > 0 && (
            <Note tone="warn">
              Not relieved: {proposal.data.unresolved.map((u) => `${u.name} (${u.reason})`).join('; ')}
            </Note>
          )}
          <ErrorNote error={apply.error} prefix="Rebalance refused" />
          {apply.result && (
            <Note tone={apply.result.refused.length ? 'warn' : 'good'}>
              {apply.result.started.length} move(s) started
              {apply.result.refused.length > 0 && `; refused: ${apply.result.refused.map((r) => r.reason).join('; ')}`}.
              Follow them on the <a href="#/operations">operations</a> page.
            </Note>
          )}
        </>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Apply ${moves.length} move${moves.length > 1 ? 's' : ''}?`}
          confirmLabel="Start the moves"
          pending={apply.pending}
          onClose={() => setConfirming(false)}
          onConfirm={() =>
            void apply
              .run(() => api.applyRebalance(moves.map((m) => ({ databaseId: m.databaseId, targetHostId: m.to }))))
              .then(() => setConfirming(false))
          }
        >
          <p>
            Each database is copied to its new host while it runs, then stopped briefly for the final sync and started
            there: its clients see a short interruption. The moves are checked again against the fleet as it is now; any
            that no longer fits is refused and reported.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
