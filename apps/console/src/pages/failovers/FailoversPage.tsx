import { api } from '../../api/client';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { progressTone, StatusBadge } from '../../components/StatusBadge';
import { Ago } from '../../components/Time';
import { shortId } from '../../format';
import { href } from '../../hooks/useHashRoute';
import { usePoll } from '../../hooks/usePoll';
import { FailoverTimeline } from './FailoverTimeline';

export function FailoversPage() {
  const poll = usePoll(api.failovers, 2000);
  // Failovers carry only the database id: names come from the database list, refreshed slowly.
  const dbs = usePoll(() => api.databases({}), 30000);
  const names = new Map((dbs.data ?? []).map((d) => [d.id, d.name]));
  return (
    <section data-testid="page-failovers">
      <PageHeader title="Failovers" poll={poll} />
      {!poll.data ? (
        <Loading error={poll.error} />
      ) : poll.data.length === 0 ? (
        <p className="muted">No failover yet.</p>
      ) : (
        <ul className="cards">
          {poll.data.map((f) => (
            <li key={f.id} className="card failover" data-testid={`failover-${f.id}`}>
              <div className="failover-head">
                <StatusBadge status={f.status} tone={progressTone(f.status)} />
                <a href={href('databases', f.databaseId)} className="failover-db">
                  {names.get(f.databaseId) ?? shortId(f.databaseId)}
                </a>
                <span className="chip">{f.reason}</span>
                <span className="chip">ha {f.ha}</span>
                <span>
                  {f.fromHost ? <a href={href('hosts', f.fromHost.id)}>{f.fromHost.name}</a> : '?'} →{' '}
                  {f.toHost ? (
                    <a href={href('hosts', f.toHost.id)}>{f.toHost.name}</a>
                  ) : (
                    <span className="muted">?</span>
                  )}
                </span>
                <span className="muted small">
                  by {f.actor ?? 'unknown'} · <Ago iso={f.timeline.detectedAt} />
                </span>
              </div>
              <FailoverTimeline failover={f} />
              {f.error && (
                <p className="op-error" role="note">
                  {f.error}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
