import { api } from '../../api/client';
import { attachedLuns, type FencingConfig, type HostDetail } from '../../api/types';
import { CapacityBars } from '../../components/CapacityBars';
import { Labels } from '../../components/Labels';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { Ago } from '../../components/Time';
import { gb, shortId } from '../../format';
import { href } from '../../hooks/useHashRoute';
import { usePoll } from '../../hooks/usePoll';
import { HealthFlags } from './HealthFlags';
import { HostActions } from './HostActions';

export function HostDetailPage({ id }: { id: string }) {
  const poll = usePoll(() => api.host(id), 2000, [id]);
  const host = poll.data;
  return (
    <section data-testid="page-hosts">
      <p className="crumbs">
        <a href="#/hosts">Hosts</a> /
      </p>
      <PageHeader
        title={
          host ? (
            <>
              {host.name} <StatusBadge status={host.status} />
            </>
          ) : (
            'Host'
          )
        }
        poll={poll}
      />
      {!host ? <Loading error={poll.error} /> : <HostBody host={host} onChanged={poll.refresh} />}
    </section>
  );
}

function HostBody({ host, onChanged }: { host: HostDetail; onChanged: () => void }) {
  const names = new Map(host.placed.map((d) => [d.id, d.name]));
  const luns = attachedLuns(host);
  const containerHealth = Object.entries(host.health?.databases ?? {});
  return (
    <>
      {host.statusReason && <p className="note note-warn">{host.statusReason}</p>}
      <div className="grid-2">
        <section className="card" aria-labelledby="host-facts">
          <h2 id="host-facts" className="card-title">
            Host
          </h2>
          <dl className="facts">
            <dt>Address</dt>
            <dd className="mono">{host.address}</dd>
            <dt>Connection</dt>
            <dd>
              {host.connection}
              {host.connection === 'ssh' && (
                <span className="muted">
                  {' '}
                  {host.sshUser}@{host.sshAddress ?? host.address}:{host.sshPort}
                </span>
              )}
            </dd>
            {host.connection === 'ssh' && (
              <>
                <dt>Host key</dt>
                <dd>
                  {host.hostKeyFingerprint ? (
                    <span className="mono">{host.hostKeyFingerprint}</span>
                  ) : (
                    <span className="muted">not seen yet</span>
                  )}
                  {host.hostKeyPinnedBy === 'first-contact' && (
                    <span className="muted">
                      {' '}
                      recorded on first contact: confirm it (PUT /admin/v1/hosts/:id/host-key)
                    </span>
                  )}
                </dd>
              </>
            )}
            <dt>Storage</dt>
            <dd>
              {host.storageDriver} <span className="mono muted">{host.dataRoot}</span>
            </dd>
            {host.replicationAddress && (
              <>
                <dt>Replication</dt>
                <dd className="mono">{host.replicationAddress}</dd>
              </>
            )}
            <dt>Fencing</dt>
            <dd data-testid="host-fencing">
              <Fencing fencing={host.fencing} />
            </dd>
            <dt>Labels</dt>
            <dd>
              <Labels labels={host.labels} />
            </dd>
            <dt>Last seen</dt>
            <dd>
              <Ago iso={host.lastSeenAt} />
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="host-capacity">
          <h2 id="host-capacity" className="card-title">
            Capacity: reserved vs total
          </h2>
          <CapacityBars
            host={host.name}
            cpus={{ used: host.usage.cpus, allocatable: host.capacity.cpus }}
            memoryMb={{ used: host.usage.memoryMb, allocatable: host.capacity.memoryMb }}
            diskGb={{ used: host.usage.diskGb, allocatable: host.capacity.diskGb }}
          />
        </section>
      </div>

      <HostActions host={host} onDone={onChanged} />

      <section className="card" aria-labelledby="host-health">
        <h2 id="host-health" className="card-title">
          Health
        </h2>
        <p>
          <HealthFlags health={host.health} checks={host.checks} />
        </p>
        {host.health?.detail && <pre className="detail">{host.health.detail}</pre>}
        {containerHealth.length > 0 && (
          <ul className="chips" aria-label="Containers">
            {containerHealth.map(([dbId, ok]) => (
              <li key={dbId} className={`chip ${ok ? 'chip-ok' : 'chip-bad'}`}>
                <a href={href('databases', dbId)}>{names.get(dbId) ?? shortId(dbId)}</a>{' '}
                {ok ? 'answers' : 'not answering'}
              </li>
            ))}
          </ul>
        )}
      </section>

      <h2 className="section-title">Databases ({host.placed.length})</h2>
      <Table label={`Databases on ${host.name}`}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Tenant</th>
            <th scope="col">Engine</th>
            <th scope="col">HA</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {host.placed.length === 0 && <EmptyRow cols={5}>No databases on this host.</EmptyRow>}
          {host.placed.map((d) => (
            <tr key={d.id}>
              <th scope="row">
                <a href={href('databases', d.id)}>{d.name}</a>
              </th>
              <td>{d.tenantName ?? shortId(d.tenantId)}</td>
              <td>{d.engine}</td>
              <td>{d.ha}</td>
              <td>
                <StatusBadge status={d.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </Table>

      <h2 className="section-title">Attached LUNs ({luns.length})</h2>
      <Table label={`LUNs attached to ${host.name}`}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">IQN</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Host VG</th>
            <th scope="col">State</th>
            <th scope="col">Database</th>
          </tr>
        </thead>
        <tbody>
          {luns.length === 0 && <EmptyRow cols={6}>No LUNs attached.</EmptyRow>}
          {luns.map((l) => (
            <tr key={l.id}>
              <th scope="row" className="mono">
                {l.name}
              </th>
              <td className="mono small">{l.iqn}</td>
              <td className="num">{gb(l.sizeGb)}</td>
              <td className="mono">{l.hostVg}</td>
              <td>{l.status ? <StatusBadge status={l.status} /> : '—'}</td>
              <td>
                {l.databaseId ? (
                  <a href={href('databases', l.databaseId)}>{names.get(l.databaseId) ?? shortId(l.databaseId)}</a>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}

/** The fence agent and its parameters (secret ones arrive as "***"), or why nothing confirms a fence. */
function Fencing({ fencing }: { fencing: FencingConfig | null }) {
  if (fencing?.driver === 'agent')
    return (
      <>
        agent <code>{fencing.agent}</code>{' '}
        <span className="mono small">
          {Object.entries(fencing.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}
        </span>{' '}
        <span className="muted small">
          {fencing.timeoutSec} s{fencing.sshPoweroff ? ', with poweroff -f over SSH' : ''}
        </span>
      </>
    );
  return (
    <span className="muted">
      {fencing?.driver === 'ssh' ? 'poweroff -f over SSH only: ' : 'none: '}an operator confirms a fence
    </span>
  );
}
