import { useId, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { ApiKey, IssuedApiKey, Tenant } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote, Loading, Note } from '../../components/Notice';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyRow, Table } from '../../components/Table';
import { Ago } from '../../components/Time';
import { useAction } from '../../hooks/useAction';
import { usePoll } from '../../hooks/usePoll';
import { IssuedKey } from './IssuedKey';

/** A tenant's API keys: list, issue one (shown once), revoke. */
export function TenantKeys({ tenant }: { tenant: Tenant }) {
  const id = useId();
  const keys = usePoll(() => api.apiKeys(tenant.id), 5000, [tenant.id]);
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<IssuedApiKey | null>(null);
  const issue = useAction<IssuedApiKey>();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useAction<ApiKey>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let got: IssuedApiKey | undefined;
    const ok = await issue.run(async () => (got = await api.issueKey(tenant.id, name.trim())));
    if (ok && got) {
      setIssued(got);
      setName('');
      keys.refresh();
    }
  };

  const confirmRevoke = async () => {
    const k = revoking;
    if (!k) return;
    await revoke.run(async () => {
      await api.revokeKey(tenant.id, k.id);
      return k;
    });
    setRevoking(null);
    keys.refresh();
  };

  return (
    <div className="keys" aria-label={`API keys of ${tenant.name}`} role="group">
      {issued && <IssuedKey issued={issued} onDismiss={() => setIssued(null)} />}
      <form className="inline-form" onSubmit={submit} data-testid="key-issue">
        <div className="field">
          <label htmlFor={`${id}-name`}>New key name</label>
          <input
            id={`${id}-name`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={80}
            autoComplete="off"
            data-testid="key-name"
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={issue.pending || !name.trim()}>
          {issue.pending ? 'Issuing…' : 'Issue key'}
        </button>
      </form>
      <div aria-live="polite">
        {issue.error && <ErrorNote error={issue.error} prefix="Not issued" />}
        {revoke.error && <ErrorNote error={revoke.error} prefix="Not revoked" />}
        {revoke.result && <Note tone="good">Key {revoke.result.name} revoked.</Note>}
      </div>
      {!keys.data ? (
        <Loading error={keys.error} />
      ) : (
        <Table label={`API keys of ${tenant.name}`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.length === 0 && <EmptyRow cols={5}>No keys.</EmptyRow>}
            {keys.data.map((k) => (
              <tr key={k.id} data-testid={`key-row-${k.name}`}>
                <th scope="row">{k.name}</th>
                <td className="mono">{k.prefix}…</td>
                <td>
                  <Ago iso={k.createdAt} />
                </td>
                <td>
                  {k.revokedAt ? (
                    <>
                      <StatusBadge status="revoked" tone="muted" /> <Ago iso={k.revokedAt} />
                    </>
                  ) : (
                    <StatusBadge status="active" />
                  )}
                </td>
                <td>
                  {!k.revokedAt && (
                    <button
                      type="button"
                      className="btn btn-small btn-danger-quiet"
                      onClick={() => {
                        revoke.reset();
                        setRevoking(k);
                      }}
                      data-testid={`key-revoke-${k.name}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke key ${revoking.name}?`}
          confirmLabel="Revoke key"
          danger
          pending={revoke.pending}
          onConfirm={() => void confirmRevoke()}
          onClose={() => setRevoking(null)}
        >
          <p>
            The key <span className="mono">{revoking.prefix}…</span> of tenant <strong>{tenant.name}</strong> stops
            working at once: every call made with it is refused (401). This cannot be undone; issue a new key if the
            tenant still needs one.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
