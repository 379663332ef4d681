/** One DRBD minor as /proc/drbd (DRBD 8.4) shows it. */
export interface DrbdMinorState {
  minor: number;
  cstate: string;
  role: string;
  peerRole: string;
  disk: string;
  peerDisk: string;
}

// " 3: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----"
const LINE = /^\s*(\d+):\s+cs:(\S+)\s+ro:(\w+)\/(\w+)\s+ds:(\w+)\/(\w+)/;

/** Parses /proc/drbd: one call tells the state of every resource on a host. Unconfigured minors are left out. */
export function parseProcDrbd(text: string): Map<number, DrbdMinorState> {
  const out = new Map<number, DrbdMinorState>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    out.set(Number(m[1]), {
      minor: Number(m[1]),
      cstate: m[2],
      role: m[3],
      peerRole: m[4],
      disk: m[5],
      peerDisk: m[6],
    });
  }
  return out;
}

/** What a primary's mirror means for a failover: only a 'synced' peer has every committed write (protocol C). */
export function mirrorStateOf(s: DrbdMinorState | undefined): 'synced' | 'syncing' | 'degraded' {
  if (!s) return 'degraded';
  if (s.cstate === 'Connected' && s.disk === 'UpToDate' && s.peerDisk === 'UpToDate') return 'synced';
  if (/^(SyncSource|SyncTarget|PausedSync[ST]|WFBitMap[ST]|WFSyncUUID)$/.test(s.cstate)) return 'syncing';
  return 'degraded';
}
