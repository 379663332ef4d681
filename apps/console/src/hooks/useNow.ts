import { useCallback, useSyncExternalStore } from 'react';

// One timer per period for the whole page, however many "Xs ago" labels subscribe (the audit log has 200).
const clocks = new Map<number, { now: number; listeners: Set<() => void>; timer?: number }>();

function clock(everyMs: number) {
  let c = clocks.get(everyMs);
  if (!c) {
    c = { now: Date.now(), listeners: new Set() };
    clocks.set(everyMs, c);
  }
  return c;
}

function subscribe(everyMs: number, listener: () => void): () => void {
  const c = clock(everyMs);
  c.listeners.add(listener);
  if (c.timer === undefined) {
    c.now = Date.now();
    c.timer = window.setInterval(() => {
      c.now = Date.now();
      c.listeners.forEach((l) => l());
    }, everyMs);
  }
  return () => {
    c.listeners.delete(listener);
    if (!c.listeners.size) {
      window.clearInterval(c.timer);
      c.timer = undefined;
    }
  };
}

/** The current time, refreshed every `everyMs`: for "Xs ago" labels that age between polls. */
export function useNow(everyMs = 1000): number {
  const sub = useCallback((l: () => void) => subscribe(everyMs, l), [everyMs]);
  return useSyncExternalStore(sub, () => clock(everyMs).now);
}
