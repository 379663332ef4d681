import { useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { FleetAlarmBanner } from './FleetAlarmBanner';

export const PAGES = [
  { id: 'overview', label: 'Overview' },
  { id: 'hosts', label: 'Hosts' },
  { id: 'databases', label: 'Databases' },
  { id: 'storage', label: 'Storage' },
  { id: 'capacity', label: 'Capacity' },
  { id: 'operations', label: 'Operations' },
  { id: 'failovers', label: 'Failovers' },
  { id: 'tenants', label: 'Tenants' },
  { id: 'audit', label: 'Audit' },
] as const;

export type PageId = (typeof PAGES)[number]['id'];

interface LayoutProps {
  /** The section, for aria-current in the nav. */
  current: string;
  /** The whole route: any change moves focus to the new content. */
  routeKey: string;
  onSignOut: () => void;
  children: ReactNode;
}

export function Layout({ current, routeKey, onSignOut, children }: LayoutProps) {
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const shown = useRef(routeKey);

  // A new page: close the phone menu and move focus to the content, as a full page load would.
  useEffect(() => {
    if (shown.current === routeKey) return;
    shown.current = routeKey;
    setMenuOpen(false);
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [routeKey]);

  const skip = (e: MouseEvent) => {
    // A plain #content would be taken for a route by the hash router.
    e.preventDefault();
    mainRef.current?.focus();
  };

  return (
    <div className="shell">
      <a href="#content" className="skip-link" onClick={skip}>
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="btn menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <span aria-hidden="true">☰</span> Menu
        </button>
        <a href="#/overview" className="brand">
          DBaaS <span className="brand-sub">operator console</span>
        </a>
        <button type="button" className="btn btn-quiet" onClick={onSignOut} data-testid="signout">
          Sign out
        </button>
      </header>
      <nav id="main-nav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
        <ul>
          {PAGES.map((p) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                aria-current={current === p.id ? 'page' : undefined}
                data-testid={`nav-${p.id}`}
                onClick={() => setMenuOpen(false)}
              >
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="content" ref={mainRef} tabIndex={-1} className="content">
        <FleetAlarmBanner />
        {children}
      </main>
    </div>
  );
}
