import { api } from '../../api/client';
import { Labels } from '../../components/Labels';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { href } from '../../hooks/useHashRoute';
import { usePoll } from '../../hooks/usePoll';
import { HealthFlags } from './HealthFlags';

export function HostsPage() {
  const poll = usePoll(api.hosts, 2000);
  const hosts = poll.data;
  return (
    <section data-testid="page-hosts">
      <PageHeader title="Hosts" poll={poll} />
      {!hosts ? (
        <Loading error={poll.error} />
      ) : (
        <Table label="Hosts">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Labels</th>
              <th scope="col" className="num">
                Databases
              </th>
              <th scope="col" className="num">
                LUNs
              </th>
              <th scope="col">Last health check</th>
              <th scope="col">Address</th>
              <th scope="col">Storage</th>
            </tr>
          </thead>
          <tbody>
            {hosts.length === 0 && <EmptyRow cols={8}>No hosts registered.</EmptyRow>}
            {hosts.map((h) => (
              <tr key={h.id} data-testid={`host-row-${h.name}`}>
                <th scope="row">
                  <a href={href('hosts', h.id)}>{h.name}</a>
                </th>
                <td>
                  <StatusBadge status={h.status} />
                  {h.statusReason && <div className="muted small">{h.statusReason}</div>}
                </td>
                <td>
                  <Labels labels={h.labels} />
                </td>
                <td className="num">{h.databases}</td>
                <td className="num">{h.luns}</td>
                <td>
                  <HealthFlags health={h.health} checks={h.checks} />
                </td>
                <td className="mono">{h.address}</td>
                <td>{h.storageDriver}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
