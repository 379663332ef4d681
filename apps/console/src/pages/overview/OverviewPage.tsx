import { api } from '../../api/client';
import { CapacityBars } from '../../components/CapacityBars';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { StatusBadge } from '../../components/StatusBadge';
import { StatusCounts } from '../../components/StatusCounts';
import { usePoll } from '../../hooks/usePoll';
import { href } from '../../hooks/useHashRoute';
import { CheckFlags } from '../hosts/HealthFlags';
import { StatCard } from './StatCard';

export function OverviewPage() {
  const poll = usePoll(api.overview, 2000);
  const o = poll.data;
  return (
    <section data-testid="page-overview">
      <PageHeader title="Overview" poll={poll} />
      {!o ? (
        <Loading error={poll.error} />
      ) : (
        <>
          <div className="stats">
            <StatCard
              title="Hosts"
              href="#/hosts"
              testId="stat-hosts"
              value={
                <>
                  <span className="up">{(o.hosts.byStatus.active ?? 0) + (o.hosts.byStatus.draining ?? 0)} up</span>
                  {' / '}
                  <span className={(o.hosts.byStatus.down ?? 0) + (o.hosts.byStatus.fenced ?? 0) ? 'down' : ''}>
                    {(o.hosts.byStatus.down ?? 0) + (o.hosts.byStatus.fenced ?? 0)} down
                  </span>
                </>
              }
            >
              <StatusCounts counts={o.hosts.byStatus} label="Hosts by status" />
            </StatCard>
            <StatCard title="Databases" href="#/databases" testId="stat-databases" value={o.databases.total}>
              <StatusCounts counts={o.databases.byStatus} label="Databases by status" />
            </StatCard>
            <StatCard
              title="Failovers, last 24 h"
              href="#/failovers"
              testId="stat-failovers"
              value={o.failovers24h.total}
            >
              <StatusCounts counts={o.failovers24h.byStatus} label="Failovers in the last 24 hours by status" />
            </StatCard>
            <StatCard
              title="Operations"
              href="#/operations"
              testId="stat-operations"
              value={`${o.operations.running} running`}
            >
              <ul className="status-counts" aria-label="Operations">
                <li>
                  <StatusBadge status="queued" /> <strong>{o.operations.queued}</strong>
                </li>
                <li>
                  <StatusBadge status="failed" /> <strong>{o.operations.failed24h}</strong>{' '}
                  <span className="muted small">in 24 h</span>
                </li>
              </ul>
            </StatCard>
          </div>

          <h2 className="section-title">Capacity: reserved vs allocatable</h2>
          {o.capacity.length === 0 ? (
            <p className="muted">No hosts registered.</p>
          ) : (
            <div className="capacity-grid">
              {o.capacity.map((c) => (
                <section key={c.hostId} className="card capacity-card" aria-label={`Capacity of ${c.name}`}>
                  <h3 className="capacity-title">
                    <a href={href('hosts', c.hostId)}>{c.name}</a> <StatusBadge status={c.status} />{' '}
                    <CheckFlags checks={c.checks} />
                    <span className="muted small">
                      {c.databases} database{c.databases === 1 ? '' : 's'}
                    </span>
                  </h3>
                  <CapacityBars host={c.name} cpus={c.cpus} memoryMb={c.memoryMb} diskGb={c.diskGb} />
                </section>
              ))}
            </div>
          )}
        </>
      )}
    </section>
  );
}
