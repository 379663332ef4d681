import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Round trips to hosts (a command, a stream, a Docker API request) made inside a counted scope. Executors note
 * each one; a failover counts its own (recorded on the failover, printed by the bench), a step its share (logged).
 * Scopes nest: a round trip counts in every scope around it. Concurrent jobs never see each other's.
 */
interface Scope {
  n: number;
  parent?: Scope;
}

const current = new AsyncLocalStorage<Scope>();

export const RoundTrips = {
  /** Runs `fn`; `counted()` inside it says how many round trips it made so far. */
  async count<T>(fn: (counted: () => number) => Promise<T>): Promise<T> {
    const scope: Scope = { n: 0, parent: current.getStore() };
    return current.run(scope, () => fn(() => scope.n));
  },

  /** Runs `fn` outside every count (a wait that polls: its looks are not steps of the operation). */
  async ignore<T>(fn: () => Promise<T>): Promise<T> {
    return current.run({ n: 0 }, fn);
  },

  /** Called by executors, once per round trip to a host. */
  note(): void {
    for (let s = current.getStore(); s; s = s.parent) s.n++;
  },
};
