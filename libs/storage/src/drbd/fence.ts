/**
 * The control plane's side of the DRBD fence-peer handler (ansible/files/drbd-fence-peer): where its markers are,
 * the commands that read and answer them, and the parser for what one read returns. Pure: nothing here runs a
 * command.
 *
 * The handler leaves `<dir>/<resource>.request` (a token: the host's time and the handler's pid) and waits for
 * `<dir>/<resource>.ack` holding the same token. A request whose ack differs (or is missing) is pending.
 */
import { drbdResourceName, FENCE_HANDLER } from './drbd';

/** Where it leaves its requests and reads the answers. */
export const FENCE_DIR = '/var/lib/dbaas/drbd-fence';

const TOKEN = /^[0-9]{1,20} [0-9]{1,10}$/;
// Markers of our resources only: r-<uuid>.request / r-<uuid>.ack (the handler refuses other names).
const MARKER = /^\/var\/lib\/dbaas\/drbd-fence\/(r-[0-9a-f-]{36})\.(request|ack):(.*)$/;
const PROC_PREFIX = '/proc/drbd:';

/** A request's token as the handler writes it ("<epoch seconds> <pid>"); anything else is refused. */
export function fenceToken(token: string): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) throw new Error('unsafe fence-peer token');
  return token;
}

export const fenceRequestPath = (name: string) => `${FENCE_DIR}/${drbdResourceName(name)}.request`;
export const fenceAckPath = (name: string) => `${FENCE_DIR}/${drbdResourceName(name)}.ack`;

export const fenceCmd = {
  /**
   * /proc/drbd and every marker's first line, in one round trip: `grep -r -H '' FILES` prints each line of each
   * file prefixed by its path. -s: a host without the marker directory still answers (exit 2, /proc/drbd read).
   */
  readState: () => ['grep', '-r', '-H', '-s', '', '/proc/drbd', FENCE_DIR],
  /** The markers alone (exit 1: none; exit 2: no directory). */
  readMarkers: () => ['grep', '-r', '-H', '-s', '', FENCE_DIR],
  /** `tee <ack>` with the request's token as input. */
  writeAck: (name: string) => ['tee', fenceAckPath(name)],
  clear: (name: string) => ['rm', '-f', fenceRequestPath(name), fenceAckPath(name)],
  handlerInstalled: () => ['test', '-x', FENCE_HANDLER],
};

export interface FenceMarkers {
  /** The pending or answered request's token. */
  request?: string;
  /** The token the control plane answered. */
  ack?: string;
}

/** The token of a request not answered yet, or null. */
export function pendingRequest(m: FenceMarkers | undefined): string | null {
  if (!m?.request || m.request === m.ack) return null;
  try {
    return fenceToken(m.request);
  } catch {
    // Half-written or foreign content: not an answerable request (the handler writes it whole, by rename).
    return null;
  }
}

/** Markers by resource name, from `grep -r -H ''` output; other lines are ignored. */
export function parseFenceMarkers(stdout: string): Map<string, FenceMarkers> {
  const out = new Map<string, FenceMarkers>();
  for (const line of stdout.split('\n')) {
    const m = MARKER.exec(line);
    if (!m) continue;
    const cur = out.get(m[1]) ?? {};
    // The first line counts (the handler writes one).
    if (cur[m[2] as 'request' | 'ack'] === undefined) cur[m[2] as 'request' | 'ack'] = m[3].trim();
    out.set(m[1], cur);
  }
  return out;
}

/**
 * Splits the answer of `fenceCmd.readState()`: the text of /proc/drbd (null when it was not read: the module is
 * not loaded, or the host failed under the command) and the markers.
 */
export function parseStateRead(stdout: string): { proc: string | null; markers: Map<string, FenceMarkers> } {
  const proc: string[] = [];
  for (const line of stdout.split('\n')) if (line.startsWith(PROC_PREFIX)) proc.push(line.slice(PROC_PREFIX.length));
  return { proc: proc.length ? `${proc.join('\n')}\n` : null, markers: parseFenceMarkers(stdout) };
}
