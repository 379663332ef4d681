import { useCallback, useEffect, useState } from 'react';
import { configureClient } from './api/client';
import { loadKey, saveKey } from './auth';
import { Layout, PAGES } from './components/Layout';
import { useHashRoute } from './hooks/useHashRoute';
import { AuditPage } from './pages/audit/AuditPage';
import { CapacityPage } from './pages/capacity/CapacityPage';
import { DatabaseDetailPage } from './pages/databases/DatabaseDetailPage';
import { DatabasesPage } from './pages/databases/DatabasesPage';
import { FailoversPage } from './pages/failovers/FailoversPage';
import { HostDetailPage } from './pages/hosts/HostDetailPage';
import { HostsPage } from './pages/hosts/HostsPage';
import { NotFound } from './pages/NotFound';
import { OperationsPage } from './pages/operations/OperationsPage';
import { OverviewPage } from './pages/overview/OverviewPage';
import { SignInPage } from './pages/signin/SignInPage';
import { StoragePage } from './pages/storage/StoragePage';
import { TenantsPage } from './pages/tenants/TenantsPage';

interface Session {
  key: string | null;
  /** The status of the refusal that ended the previous session, if that is why we are signed out. */
  lost: number | null;
}

export function App() {
  const [session, setSession] = useState<Session>(() => ({ key: loadKey(), lost: null }));
  const route = useHashRoute();

  const signOut = useCallback((lost: number | null = null) => {
    saveKey(null);
    configureClient(null, null);
    setSession({ key: null, lost });
  }, []);

  // Configured during render, before any child's effect can poll with the key.
  configureClient(session.key, session.key ? (status) => signOut(status) : null);

  const signIn = useCallback((key: string) => {
    saveKey(key);
    setSession({ key, lost: null });
  }, []);

  useEffect(() => {
    if (!window.location.hash || window.location.hash === '#/') window.location.replace('#/overview');
  }, []);

  if (!session.key) return <SignInPage onSignedIn={signIn} lostStatus={session.lost} />;

  const [page = 'overview', id] = route.parts;
  return (
    <Layout current={page} routeKey={route.parts.join('/')} onSignOut={() => signOut()}>
      <Page page={page} id={id} />
    </Layout>
  );
}

function Page({ page, id }: { page: string; id: string | undefined }) {
  switch (page) {
    case 'overview':
      return <OverviewPage />;
    case 'hosts':
      return id ? <HostDetailPage key={id} id={id} /> : <HostsPage />;
    case 'databases':
      return id ? <DatabaseDetailPage key={id} id={id} /> : <DatabasesPage />;
    case 'storage':
      return <StoragePage />;
    case 'capacity':
      return <CapacityPage />;
    case 'operations':
      return <OperationsPage />;
    case 'failovers':
      return <FailoversPage />;
    case 'tenants':
      return <TenantsPage />;
    case 'audit':
      return <AuditPage />;
    default:
      return <NotFound known={PAGES.map((p) => p.id)} />;
  }
}
