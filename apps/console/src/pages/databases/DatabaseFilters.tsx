import { useId, type ChangeEvent } from 'react';
import type { DatabaseFilter } from '../../api/client';
import type { HostListItem, Tenant } from '../../api/types';

export const ENGINES = ['postgresql', 'mysql', 'mariadb', 'redis', 'mongodb'];
export const DB_STATUSES = ['provisioning', 'running', 'failing-over', 'stopped', 'error', 'deleting'];

interface DatabaseFiltersProps {
  value: DatabaseFilter;
  tenants: Tenant[];
  hosts: HostListItem[];
  onChange: (f: DatabaseFilter) => void;
}

export function DatabaseFilters({ value, tenants, hosts, onChange }: DatabaseFiltersProps) {
  const id = useId();
  const set = (k: keyof DatabaseFilter) => (e: ChangeEvent<HTMLSelectElement>) =>
    onChange({ ...value, [k]: e.target.value || undefined });
  const active = Object.values(value).some(Boolean);
  return (
    <form className="filters" role="search" aria-label="Filter databases" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-tenant`}>Tenant</label>
        <select id={`${id}-tenant`} value={value.tenantId ?? ''} onChange={set('tenantId')} data-testid="filter-tenant">
          <option value="">All tenants</option>
          {tenants.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-engine`}>Engine</label>
        <select id={`${id}-engine`} value={value.engine ?? ''} onChange={set('engine')} data-testid="filter-engine">
          <option value="">All engines</option>
          {ENGINES.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={value.status ?? ''} onChange={set('status')} data-testid="filter-status">
          <option value="">All statuses</option>
          {DB_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-host`}>Host</label>
        <select id={`${id}-host`} value={value.hostId ?? ''} onChange={set('hostId')} data-testid="filter-host">
          <option value="">All hosts</option>
          {hosts.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name}
            </option>
          ))}
        </select>
      </div>
      {active && (
        <button type="button" className="btn btn-quiet" onClick={() => onChange({})}>
          Clear filters
        </button>
      )}
    </form>
  );
}
