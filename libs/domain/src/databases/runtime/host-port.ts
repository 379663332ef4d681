/**
 * Docker's refusals when a database's host port is held by something the metadata does not know of: another
 * program on the host ("address already in use", from the proxy's bind) or a container started outside the
 * platform ("port is already allocated"). Returns the port, or null for any other error.
 */
export function takenPort(err: unknown): number | null {
  const e = err as { json?: { message?: string }; message?: string } | null;
  const text = `${e?.json?.message ?? ''} ${e?.message ?? ''}`;
  const m =
    /listen tcp[46]? \S*:(\d+): bind: address already in use/.exec(text) ??
    /Bind for \S*:(\d+) failed: port is already allocated/.exec(text);
  return m ? Number(m[1]) : null;
}

/** How many other ports a creation tries before it gives up: each try is a container create and start. */
export const PORT_TRIES = 16;
