import { useId, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Tenant } from '../../api/types';
import { ErrorNote, Note } from '../../components/Notice';
import { useAction } from '../../hooks/useAction';

export function CreateTenantForm({ onCreated }: { onCreated: (t: Tenant) => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const create = useAction<Tenant>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let created: Tenant | undefined;
    const ok = await create.run(async () => (created = await api.createTenant(name.trim())));
    if (ok && created) {
      setName('');
      onCreated(created);
    }
  };

  return (
    <form className="card inline-form" onSubmit={submit} data-testid="tenant-create" aria-label="Create a tenant">
      <div className="field">
        <label htmlFor={`${id}-name`}>New tenant name</label>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${id}-hint`}
          data-testid="tenant-name"
        />
        <span id={`${id}-hint`} className="hint">
          3–40 characters: lowercase letters, digits and “-”, starting with a letter.
        </span>
      </div>
      <button type="submit" className="btn btn-primary" disabled={create.pending || !name.trim()}>
        {create.pending ? 'Creating…' : 'Create tenant'}
      </button>
      <div className="form-outcome" aria-live="polite">
        {create.error && <ErrorNote error={create.error} prefix="Not created" />}
        {create.result && <Note tone="good">Tenant {create.result.name} created.</Note>}
      </div>
    </form>
  );
}
