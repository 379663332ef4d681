import { api } from '../../api/client';
import { Loading } from '../../components/Notice';
import { PageHeader } from '../../components/PageHeader';
import { usePoll } from '../../hooks/usePoll';
import { BackendCard } from './BackendCard';
import { DataRoots } from './DataRoots';

export function StoragePage() {
  const poll = usePoll(api.storage, 2000);
  const s = poll.data;
  return (
    <section data-testid="page-storage">
      <PageHeader title="Storage" poll={poll} />
      {!s ? (
        <Loading error={poll.error} />
      ) : (
        <>
          <h2 className="section-title">SAN backends ({s.backends.length})</h2>
          {s.backends.length === 0 && <p className="muted">No storage backend registered.</p>}
          {s.backends.map((b) => (
            <BackendCard key={b.id} backend={b} />
          ))}
          <h2 className="section-title">Hosts&apos; data roots</h2>
          <DataRoots hosts={s.hosts} />
        </>
      )}
    </section>
  );
}
