import { api } from '../../api/client';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { Ago } from '../../components/Time';
import { dateTime } from '../../format';
import { usePoll } from '../../hooks/usePoll';

export function AuditPage() {
  const poll = usePoll(() => api.audit(200), 2000);
  return (
    <section data-testid="page-audit">
      <PageHeader title="Audit log" poll={poll} />
      <p className="muted small">Every operator change (POST, PUT, PATCH, DELETE), newest first; the last 200.</p>
      {!poll.data ? (
        <Loading error={poll.error} />
      ) : (
        <Table label="Audit log">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {poll.data.length === 0 && <EmptyRow cols={5}>Nothing recorded yet.</EmptyRow>}
            {poll.data.map((a) => (
              <tr key={a.id} data-testid="audit-row">
                <td className="nowrap">
                  <Ago iso={a.createdAt} />
                  <div className="muted small">{dateTime(a.createdAt)}</div>
                </td>
                <th scope="row">{a.actor}</th>
                <td>
                  {a.action}
                  <div className="mono small muted">
                    {a.method} {a.path}
                  </div>
                  {a.detail && Object.keys(a.detail).length > 0 && (
                    <details className="small">
                      <summary>request body</summary>
                      <pre className="detail">{JSON.stringify(a.detail, null, 2)}</pre>
                    </details>
                  )}
                </td>
                <td className="mono small">{a.target ?? '—'}</td>
                <td>
                  <StatusBadge status={a.outcome} tone={a.outcome === 'ok' ? 'good' : 'bad'} />{' '}
                  <span className="muted small">{a.statusCode}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
