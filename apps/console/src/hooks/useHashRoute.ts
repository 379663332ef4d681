import { useEffect, useState } from 'react';

export interface Route {
  /** Path segments after `#/`, e.g. ['hosts', '<id>']. */
  parts: string[];
  /** What follows `?` in the hash: a list page's filters, so they survive going to a detail and back. */
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  return {
    parts: path
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p)),
    query: new URLSearchParams(search),
  };
}

/** A tiny hash router: the console is served as static files, so only the hash changes. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;

/** Replaces the current page's filters in the address (no new history entry per keystroke). */
export function replaceQuery(parts: string[], params: Record<string, string | undefined>): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  window.location.replace(`${href(...parts)}${s ? `?${s}` : ''}`);
}
