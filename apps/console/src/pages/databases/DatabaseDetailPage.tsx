import { api } from '../../api/client';
import type { DatabaseDetail } from '../../api/types';
import { Loading } from '../../components/Notice';
import { OperationProgress } from '../../components/OperationProgress';
import { PageHeader } from '../../components/PageHeader';
import { progressTone, StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { Ago } from '../../components/Time';
import { bytes, dateTime, gb, shortId } from '../../format';
import { href } from '../../hooks/useHashRoute';
import { usePoll } from '../../hooks/usePoll';
import { DatabaseActions } from './DatabaseActions';
import { DatabaseAllowList } from './DatabaseAllowList';
import { DatabaseLogs } from './DatabaseLogs';
import { DatabaseTls } from './DatabaseTls';

export function DatabaseDetailPage({ id }: { id: string }) {
  const poll = usePoll(() => api.database(id), 2000, [id]);
  const db = poll.data;
  return (
    <section data-testid="page-databases">
      <p className="crumbs">
        <a href="#/databases">Databases</a> /
      </p>
      <PageHeader
        title={
          db ? (
            <>
              {db.name} <StatusBadge status={db.status} />
            </>
          ) : (
            'Database'
          )
        }
        poll={poll}
      />
      {!db ? <Loading error={poll.error} /> : <DatabaseBody db={db} onChanged={poll.refresh} />}
      <DatabaseLogs id={id} />
    </section>
  );
}

function DatabaseBody({ db, onChanged }: { db: DatabaseDetail; onChanged: () => void }) {
  return (
    <>
      <div className="grid-2">
        <section className="card" aria-labelledby="db-facts">
          <h2 id="db-facts" className="card-title">
            Database
          </h2>
          <dl className="facts">
            <dt>Endpoint</dt>
            <dd className="mono">{db.endpoint ? `${db.endpoint.host}:${db.endpoint.port}` : '—'}</dd>
            <dt>Engine</dt>
            <dd>
              {db.engine} {db.version}
            </dd>
            <dt>Plan</dt>
            <dd>{db.plan}</dd>
            <dt>HA</dt>
            <dd>{db.ha}</dd>
            <dt>Tenant</dt>
            <dd>
              <a href={`#/databases?tenantId=${encodeURIComponent(db.tenantId)}`}>{db.tenantName ?? db.tenantId}</a>
            </dd>
            <dt>Host</dt>
            <dd>{db.hostId ? <a href={href('hosts', db.hostId)}>{db.hostName ?? db.hostId}</a> : '—'}</dd>
            <dt>Created</dt>
            <dd>{dateTime(db.createdAt)}</dd>
            <dt>Id</dt>
            <dd className="mono small">{db.id}</dd>
          </dl>
        </section>
        <div className="stack">
          <DatabaseActions db={db} onDone={onChanged} />
          <DatabaseAllowList db={db} onDone={onChanged} />
          <DatabaseTls db={db} onDone={onChanged} />
        </div>
      </div>

      <h2 className="section-title">Volumes</h2>
      <Table label="Volumes">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Host</th>
            <th scope="col">Driver</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col" className="num">
              Used
            </th>
            <th scope="col">Mirror</th>
            <th scope="col">Path</th>
            <th scope="col">LUN</th>
          </tr>
        </thead>
        <tbody>
          {db.volumes.length === 0 && <EmptyRow cols={8}>No volumes.</EmptyRow>}
          {db.volumes.map((v) => (
            <tr key={`${v.id}-${v.role}`}>
              <th scope="row">
                <StatusBadge
                  status={v.role}
                  tone={v.role === 'primary' ? 'info' : v.role === 'incoming' ? 'warn' : 'muted'}
                />
              </th>
              <td>
                <a href={href('hosts', v.hostId)}>{v.hostName ?? shortId(v.hostId)}</a>
              </td>
              <td>{v.driver}</td>
              <td className="num">{gb(v.sizeGb)}</td>
              <td className="num">{bytes(v.usedBytes)}</td>
              <td>{v.mirrorState ? <StatusBadge status={v.mirrorState} /> : '—'}</td>
              <td className="mono small">{v.path ?? '—'}</td>
              <td className="mono small">{v.lunId ? shortId(v.lunId) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </Table>

      <h2 className="section-title">Recent operations</h2>
      <Table label="Recent operations">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {db.operations.length === 0 && <EmptyRow cols={4}>No operations.</EmptyRow>}
          {db.operations.map((o) => (
            <tr key={o.id} data-testid={`op-row-${o.id}`}>
              <th scope="row">{o.type}</th>
              <td>
                <StatusBadge status={o.status} tone={progressTone(o.status)} />
              </td>
              <td className="wide">
                <OperationProgress op={o} />
              </td>
              <td>
                <Ago iso={o.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </Table>

      <h2 className="section-title">Events</h2>
      <Table label="Events">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Type</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {db.events.length === 0 && <EmptyRow cols={3}>No events.</EmptyRow>}
          {db.events.map((e, i) => (
            <tr key={`${e.createdAt}-${i}`}>
              <td className="nowrap">
                <Ago iso={e.createdAt} />
              </td>
              <th scope="row" className="mono small">
                {e.type}
              </th>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}
