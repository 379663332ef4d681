import { Fragment, useState } from 'react';
import { api } from '../../api/client';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { EmptyRow, Table } from '../../components/Table';
import { Ago } from '../../components/Time';
import { usePoll } from '../../hooks/usePoll';
import { CreateTenantForm } from './CreateTenantForm';
import { TenantKeys } from './TenantKeys';

export function TenantsPage() {
  const poll = usePoll(api.tenants, 5000);
  const [openId, setOpenId] = useState<string | null>(null);
  return (
    <section data-testid="page-tenants">
      <PageHeader title="Tenants" poll={poll} />
      <CreateTenantForm onCreated={() => poll.refresh()} />
      {!poll.data ? (
        <Loading error={poll.error} />
      ) : (
        <Table label="Tenants">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Id</th>
              <th scope="col">
                <span className="visually-hidden">API keys</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {poll.data.length === 0 && <EmptyRow cols={4}>No tenants yet.</EmptyRow>}
            {poll.data.map((t) => {
              const open = openId === t.id;
              return (
                <Fragment key={t.id}>
                  <tr data-testid={`tenant-row-${t.name}`}>
                    <th scope="row">
                      <a href={`#/databases?tenantId=${encodeURIComponent(t.id)}`} title="Its databases">
                        {t.name}
                      </a>
                    </th>
                    <td>
                      <Ago iso={t.createdAt} />
                    </td>
                    <td className="mono small">{t.id}</td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-expanded={open}
                        aria-controls={`keys-${t.id}`}
                        onClick={() => setOpenId(open ? null : t.id)}
                        data-testid={`tenant-keys-${t.name}`}
                      >
                        {open ? 'Hide API keys' : 'API keys'}
                        <span className="visually-hidden"> of {t.name}</span>
                      </button>
                    </td>
                  </tr>
                  {open && (
                    <tr className="subrow">
                      <td colSpan={4} id={`keys-${t.id}`}>
                        <TenantKeys tenant={t} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </Table>
      )}
    </section>
  );
}
