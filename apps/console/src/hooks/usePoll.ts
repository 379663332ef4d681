import { useCallback, useEffect, useRef, useState } from 'react';

export interface Poll<T> {
  data: T | undefined;
  error: Error | undefined;
  /** When the last successful answer arrived (ms since epoch). */
  updatedAt: number | null;
  loading: boolean;
  /** Polls now (after an action), without waiting for the next tick. */
  refresh: () => void;
}

type PollState<T> = Omit<Poll<T>, 'refresh'>;

const initial = { data: undefined, error: undefined, updatedAt: null, loading: true };

/**
 * Calls `fn` now and `intervalMs` after each answer (never two in flight), paused while the tab is hidden.
 * `deps` restart it from scratch (another id, other filters), so a page never shows the previous target's data.
 */
export function usePoll<T>(fn: () => Promise<T>, intervalMs: number, deps: readonly unknown[] = []): Poll<T> {
  const [state, setState] = useState<PollState<T>>(initial);
  const fnRef = useRef(fn);
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    fnRef.current = fn;
  });

  useEffect(() => {
    let alive = true;
    let timer: number | undefined;
    let inFlight = false;
    let again = false;
    setState(initial);

    const schedule = () => {
      window.clearTimeout(timer);
      if (alive && !document.hidden) timer = window.setTimeout(() => void tick(), intervalMs);
    };
    const tick = async () => {
      if (!alive) return;
      if (inFlight) {
        // An answer already on its way may predate what the caller just did: ask again once it lands.
        again = true;
        return;
      }
      inFlight = true;
      try {
        const data = await fnRef.current();
        if (alive) setState({ data, error: undefined, updatedAt: Date.now(), loading: false });
      } catch (err) {
        // Keeps the last good data on screen: a blip should not blank the page.
        if (alive) setState((s) => ({ ...s, error: err as Error, loading: false }));
      } finally {
        inFlight = false;
        if (again) {
          again = false;
          void tick();
        } else schedule();
      }
    };
    const onVisibility = () => {
      if (document.hidden) window.clearTimeout(timer);
      else void tick();
    };
    kick.current = () => {
      window.clearTimeout(timer);
      void tick();
    };

    void tick();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      alive = false;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs, ...deps]); // the deps array is the caller's: its length is stable per call site

  const refresh = useCallback(() => kick.current(), []);
  return { ...state, refresh };
}
