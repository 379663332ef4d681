/**
 * DRBD's states, parsed once from what its tools print (/proc/drbd; drbdadm role, cstate and dstate) into enums.
 * Everything else compares enum members, never the tools' words. The names follow drbd-reactor's (Role,
 * ConnectionState, DiskState); the values are DRBD 8.4's, whose connection state also carries the replication
 * state (SyncSource...) that DRBD 9 reports apart. Pure: nothing here runs a command.
 */

/** A node's role (drbdadm role; /proc/drbd ro:). The peer's is Unknown while not connected. */
export enum Role {
  Primary = 'Primary',
  Secondary = 'Secondary',
  Unknown = 'Unknown',
}

/** A disk's state (drbdadm dstate; /proc/drbd ds:). */
export enum DiskState {
  Diskless = 'Diskless',
  Attaching = 'Attaching',
  Failed = 'Failed',
  Negotiating = 'Negotiating',
  Inconsistent = 'Inconsistent',
  Outdated = 'Outdated',
  DUnknown = 'DUnknown',
  Consistent = 'Consistent',
  UpToDate = 'UpToDate',
}

/** DRBD 8.4 connection states (drbdadm cstate; /proc/drbd cs:), in DRBD's own order. */
export enum ConnectionState {
  StandAlone = 'StandAlone',
  Disconnecting = 'Disconnecting',
  Unconnected = 'Unconnected',
  Timeout = 'Timeout',
  BrokenPipe = 'BrokenPipe',
  NetworkFailure = 'NetworkFailure',
  ProtocolError = 'ProtocolError',
  TearDown = 'TearDown',
  WFConnection = 'WFConnection',
  WFReportParams = 'WFReportParams',
  Connected = 'Connected',
  StartingSyncS = 'StartingSyncS',
  StartingSyncT = 'StartingSyncT',
  WFBitMapS = 'WFBitMapS',
  WFBitMapT = 'WFBitMapT',
  WFSyncUUID = 'WFSyncUUID',
  SyncSource = 'SyncSource',
  SyncTarget = 'SyncTarget',
  VerifyS = 'VerifyS',
  VerifyT = 'VerifyT',
  PausedSyncS = 'PausedSyncS',
  PausedSyncT = 'PausedSyncT',
  Ahead = 'Ahead',
  Behind = 'Behind',
}

/** Every connection state, in DRBD's order. */
export const DRBD_CSTATES: readonly ConnectionState[] = Object.values(ConnectionState);

const ROLES: ReadonlySet<string> = new Set(Object.values(Role));
const DISK_STATES: ReadonlySet<string> = new Set(Object.values(DiskState));
const CSTATES: ReadonlySet<string> = new Set(DRBD_CSTATES);

const asRole = (w: string): Role | null => (ROLES.has(w) ? (w as Role) : null);
const asDiskState = (w: string): DiskState | null => (DISK_STATES.has(w) ? (w as DiskState) : null);
const asCstate = (w: string): ConnectionState | null => (CSTATES.has(w) ? (w as ConnectionState) : null);

// ---------------------------------------------------------------------------------------------------------------
// What the states mean

// DRBD lists its connection states in order: every state from the handshake on.
const TALKING: ReadonlySet<ConnectionState> = new Set(
  DRBD_CSTATES.slice(DRBD_CSTATES.indexOf(ConnectionState.WFReportParams)),
);

/** Whether the two sides talk (handshake, connected, resync, verify). A state not read is not talking. */
export const isTalking = (cstate: ConnectionState | null | undefined): boolean => !!cstate && TALKING.has(cstate);

// A resync under way (StartingSync[ST] not yet).
const SYNCING: ReadonlySet<ConnectionState> = new Set([
  ConnectionState.SyncSource,
  ConnectionState.SyncTarget,
  ConnectionState.PausedSyncS,
  ConnectionState.PausedSyncT,
  ConnectionState.WFBitMapS,
  ConnectionState.WFBitMapT,
  ConnectionState.WFSyncUUID,
]);

// Disk states a forced promotion may start from: a complete copy, however old. Never Inconsistent (mid-resync).
const FORCEABLE: ReadonlySet<DiskState> = new Set([DiskState.Outdated, DiskState.Consistent, DiskState.UpToDate]);

/** Whether a copy in this disk state may be promoted by force (an operator accepted data loss). */
export const canForcePromote = (disk: DiskState | null | undefined): boolean => !!disk && FORCEABLE.has(disk);

/** The same two sets as lists, for the host helper: it carries out the decisions made here. */
export const FORCEABLE_DISK_STATES: readonly DiskState[] = [...FORCEABLE];
export const TALKING_CSTATES: readonly ConnectionState[] = [...TALKING];

// ---------------------------------------------------------------------------------------------------------------
// /proc/drbd

/**
 * One DRBD minor as /proc/drbd (DRBD 8.4) shows it. A word this parser does not know is null: it never counts as
 * connected, primary or up to date.
 */
export interface DrbdMinorState {
  minor: number;
  cstate: ConnectionState | null;
  role: Role | null;
  peerRole: Role | null;
  disk: DiskState | null;
  peerDisk: DiskState | null;
}

// " 3: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----"
const PROC_LINE = /^\s*(\d+):\s+cs:(\S+)\s+ro:(\w+)\/(\w+)\s+ds:(\w+)\/(\w+)/;

/** Parses /proc/drbd: one call tells the state of every resource on a host. Unconfigured minors are left out. */
export function parseProcDrbd(text: string): Map<number, DrbdMinorState> {
  const out = new Map<number, DrbdMinorState>();
  for (const line of text.split('\n')) {
    const m = PROC_LINE.exec(line);
    if (!m) continue;
    out.set(Number(m[1]), {
      minor: Number(m[1]),
      cstate: asCstate(m[2]),
      role: asRole(m[3]),
      peerRole: asRole(m[4]),
      disk: asDiskState(m[5]),
      peerDisk: asDiskState(m[6]),
    });
  }
  return out;
}

/** What a primary's mirror means for a failover: only a 'synced' peer has every committed write (protocol C). */
export function mirrorStateOf(s: DrbdMinorState | undefined): 'synced' | 'syncing' | 'degraded' {
  if (!s) return 'degraded';
  if (s.cstate === ConnectionState.Connected && s.disk === DiskState.UpToDate && s.peerDisk === DiskState.UpToDate)
    return 'synced';
  if (s.cstate && SYNCING.has(s.cstate)) return 'syncing';
  return 'degraded';
}

// ---------------------------------------------------------------------------------------------------------------
// drbdadm answers

/** The last non-empty line: drbdadm may print warnings before the answer. */
function answer(stdout: string): string {
  return (
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}

function pair<T>(stdout: string, as: (w: string) => T | null, what: string): { local: T; peer: T } {
  const line = answer(stdout);
  const m = /^([A-Za-z]+)\/([A-Za-z]+)$/.exec(line);
  const local = m ? as(m[1]) : null;
  const peer = m ? as(m[2]) : null;
  if (local === null || peer === null) throw new Error(`unexpected drbdadm ${what} output: ${JSON.stringify(line)}`);
  return { local, peer };
}

/** `drbdadm role r`: "Primary/Secondary" → { local: Role.Primary, peer: Role.Secondary }. */
export function parseRole(stdout: string): { local: Role; peer: Role } {
  return pair(stdout, asRole, 'role');
}

/** `drbdadm dstate r`: "UpToDate/DUnknown" → { local: DiskState.UpToDate, peer: DiskState.DUnknown }. */
export function parseDstate(stdout: string): { local: DiskState; peer: DiskState } {
  return pair(stdout, asDiskState, 'dstate');
}

/** `drbdadm cstate r`: one word, e.g. Connected, WFConnection, StandAlone, SyncSource. */
export function parseCstate(stdout: string): ConnectionState {
  const line = answer(stdout);
  const cstate = asCstate(line);
  if (cstate === null) throw new Error(`unexpected drbdadm cstate output: ${JSON.stringify(line)}`);
  return cstate;
}

/** `drbdadm cstate r` for a poll: the state, or undefined when the answer is none (not up, not yet known). */
export function cstateOf(stdout: string): ConnectionState | undefined {
  return asCstate(answer(stdout)) ?? undefined;
}

/**
 * Whether `drbdadm role` says the resource is not up. drbdadm exits non-zero for a resource the kernel does not
 * know (and for one missing from the configuration); any non-zero exit counts as "not up".
 */
export function isDrbdNotUp(res: { exitCode: number; stdout: string; stderr: string }): boolean {
  return res.exitCode !== 0 || /Unconfigured/i.test(res.stdout);
}

/** drbdadm up's complaint when the backing disk has no DRBD metadata yet (create-md is the cure). */
export function isNoMetadata(stderr: string): boolean {
  return /no valid meta.?data|create-md/i.test(stderr);
}
