import { api, type DatabaseFilter } from '../../api/client';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { Ago } from '../../components/Time';
import { bytes, gb } from '../../format';
import { href, replaceQuery, useHashRoute } from '../../hooks/useHashRoute';
import { usePoll } from '../../hooks/usePoll';
import { DatabaseFilters } from './DatabaseFilters';

const KEYS = ['tenantId', 'engine', 'status', 'hostId'] as const;

export function DatabasesPage() {
  const { query } = useHashRoute();
  const filter: DatabaseFilter = Object.fromEntries(KEYS.map((k) => [k, query.get(k) ?? undefined]));
  const filterKey = KEYS.map((k) => filter[k] ?? '').join('|');
  const poll = usePoll(() => api.databases(filter), 2000, [filterKey]);
  // The filters' choices change rarely: polled slowly.
  const tenants = usePoll(api.tenants, 30000);
  const hosts = usePoll(api.hosts, 30000);
  const dbs = poll.data;

  return (
    <section data-testid="page-databases">
      <PageHeader title="Databases" poll={poll} />
      <DatabaseFilters
        value={filter}
        tenants={tenants.data ?? []}
        hosts={hosts.data ?? []}
        onChange={(f) => replaceQuery(['databases'], { ...f })}
      />
      {!dbs ? (
        <Loading error={poll.error} />
      ) : (
        <Table label="Databases">
          <caption className="visually-hidden">
            {dbs.length} database{dbs.length === 1 ? '' : 's'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Tenant</th>
              <th scope="col">Engine</th>
              <th scope="col">Plan</th>
              <th scope="col">HA</th>
              <th scope="col">Status</th>
              <th scope="col">Host</th>
              <th scope="col">Endpoint</th>
              <th scope="col" className="num">
                Used / size
              </th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {dbs.length === 0 && <EmptyRow cols={10}>No databases match.</EmptyRow>}
            {dbs.map((d) => (
              <tr key={d.id} data-testid={`db-row-${d.name}`}>
                <th scope="row">
                  <a href={href('databases', d.id)}>{d.name}</a>
                </th>
                <td>{d.tenantName ?? '—'}</td>
                <td>
                  {d.engine} <span className="muted">{d.version}</span>
                </td>
                <td>{d.plan}</td>
                <td>{d.ha}</td>
                <td>
                  <StatusBadge status={d.status} />
                </td>
                <td>{d.hostId ? <a href={href('hosts', d.hostId)}>{d.hostName ?? d.hostId}</a> : '—'}</td>
                <td className="mono small">{d.endpoint ? `${d.endpoint.host}:${d.endpoint.port}` : '—'}</td>
                <td className="num">{d.volume ? `${bytes(d.volume.usedBytes)} / ${gb(d.volume.sizeGb)}` : '—'}</td>
                <td>
                  <Ago iso={d.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
