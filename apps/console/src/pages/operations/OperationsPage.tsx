import { useId, useState } from 'react';
import { api } from '../../api/client';
import type { OperationStatus, OperationView } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote, Loading, Note } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { EmptyRow, Table } from '../../components/Table';
import { useAction } from '../../hooks/useAction';
import { replaceQuery, useHashRoute } from '../../hooks/useHashRoute';
import { usePoll } from '../../hooks/usePoll';
import { OperationRow } from './OperationRow';

const STATUSES: OperationStatus[] = ['queued', 'running', 'succeeded', 'failed'];

export function OperationsPage() {
  const { query } = useHashRoute();
  const raw = query.get('status');
  const status = STATUSES.find((s) => s === raw);
  const poll = usePoll(() => api.operations(status), 2000, [status]);
  const [retrying, setRetrying] = useState<OperationView | null>(null);
  const retry = useAction<{ from: OperationView; operationId: string }>();
  const id = useId();

  const confirmRetry = async () => {
    const op = retrying;
    if (!op) return;
    await retry.run(async () => ({ from: op, operationId: (await api.retry(op.id)).operationId }));
    setRetrying(null);
    poll.refresh();
  };

  return (
    <section data-testid="page-operations">
      <PageHeader title="Operations" poll={poll}>
        <div className="field field-inline">
          <label htmlFor={`${id}-status`}>Status</label>
          <select
            id={`${id}-status`}
            value={status ?? ''}
            onChange={(e) => replaceQuery(['operations'], { status: e.target.value })}
            data-testid="filter-op-status"
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
      </PageHeader>
      <div aria-live="polite">
        {retry.pending && <Note>Retrying…</Note>}
        {retry.error && <ErrorNote error={retry.error} prefix="Retry refused" />}
        {retry.result && (
          <Note tone="good">
            {retry.result.from.type} retried as a new operation <span className="mono">{retry.result.operationId}</span>
            .
          </Note>
        )}
      </div>
      {!poll.data ? (
        <Loading error={poll.error} />
      ) : (
        <Table label="Operations" className="ops">
          <thead>
            <tr>
              <th scope="col">Operation</th>
              <th scope="col">Status</th>
              <th scope="col">Database</th>
              <th scope="col" className="wide">
                Progress
              </th>
              <th scope="col">Timing</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {poll.data.length === 0 && <EmptyRow cols={6}>No operations{status ? ` ${status}` : ''}.</EmptyRow>}
            {poll.data.map((op) => (
              <OperationRow
                key={op.id}
                op={op}
                busy={retry.pending}
                onRetry={() => {
                  retry.reset();
                  setRetrying(op);
                }}
              />
            ))}
          </tbody>
        </Table>
      )}
      {retrying && (
        <ConfirmDialog
          title={`Retry ${retrying.type}?`}
          confirmLabel="Retry"
          pending={retry.pending}
          onConfirm={() => void confirmRetry()}
          onClose={() => setRetrying(null)}
        >
          <p>
            A new <strong>{retrying.type}</strong> operation is queued
            {retrying.databaseId && (
              <>
                {' '}
                for database <span className="mono">{retrying.databaseId}</span>
              </>
            )}
            ; this failed one stays in the list as it is. It failed after {retrying.attempts} attempt
            {retrying.attempts === 1 ? '' : 's'}:
          </p>
          <pre className="detail">{retrying.error ?? 'no error recorded'}</pre>
          <p>Make sure the cause is fixed first, or it will fail the same way.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
