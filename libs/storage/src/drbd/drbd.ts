/**
 * DRBD 8.4 (kernel module) driven by drbd-utils 9 (drbdadm in 8.4 compatibility mode): the resource file,
 * the drbdadm command lines (their answers are parsed in drbd-state.ts). Pure: nothing here runs a command.
 *
 * Every value that reaches a command line or the configuration text is checked by a strict pattern first, so a
 * hostile name can neither add an argument nor a configuration statement.
 */
import { lvmName } from '../host';

export interface DrbdNode {
  /** As `uname -n` prints it on that host: DRBD picks its own `on` section by this name. */
  hostname: string;
  /** The node's replication address (IPv4). */
  address: string;
  /** The backing device, a logical volume: /dev/<vg>/<lv>. */
  disk: string;
}

export interface DrbdResource {
  /** r-<id>: lower-case letters, digits and '-', at most 40 characters. */
  name: string;
  /** /dev/drbd<minor>, 0..1048575. */
  minor: number;
  /** TCP port of the replication link, the same on both nodes. */
  port: number;
  /** Synchronous replication: a write completes when both disks have it. The only protocol we use. */
  protocol?: 'C';
  /**
   * The peers authenticate each other with it (cram-hmac-alg): a stray or stale node cannot connect and resync
   * over the volume. Per resource, generated at creation, stored sealed. Never logged.
   */
  sharedSecret: string;
  nodes: [DrbdNode, DrbdNode];
}

/** Where the fence-peer handler is installed on every database host (ansible/files/drbd-fence-peer). */
export const FENCE_HANDLER = '/usr/local/lib/dbaas/drbd-fence-peer';

// ---------------------------------------------------------------------------------------------------------------
// Validators

const RESOURCE_NAME = /^r-[a-z0-9][a-z0-9-]{0,37}$/;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/;
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const BACKING_DISK = /^\/dev\/([^/]+)\/([^/]+)$/;
const CONFIG_PATH = /^\/etc\/drbd\.d\/r-[a-z0-9][a-z0-9-]{0,37}\.res$/;
// DRBD 8.4 takes at most 64 characters; alphanumeric, so it needs no quoting anywhere.
const SHARED_SECRET = /^[A-Za-z0-9]{32,64}$/;

export const DRBD_MINOR_MAX = 1_048_575;

export function drbdResourceName(name: string): string {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name))
    throw new Error(`unsafe DRBD resource name: ${JSON.stringify(name)}`);
  return name;
}

export function drbdHostname(hostname: string): string {
  if (typeof hostname !== 'string' || !HOSTNAME.test(hostname) || hostname.includes('..'))
    throw new Error(`unsafe hostname: ${JSON.stringify(hostname)}`);
  return hostname;
}

export function ipv4(address: string): string {
  if (typeof address !== 'string' || !IPV4.test(address))
    throw new Error(`unsafe IPv4 address: ${JSON.stringify(address)}`);
  return address;
}

/** A shared secret fit for the resource file; the error never repeats the value. */
export function drbdSharedSecret(secret: string): string {
  if (typeof secret !== 'string' || !SHARED_SECRET.test(secret))
    throw new Error('unsafe DRBD shared secret: 32 to 64 letters and digits expected');
  return secret;
}

export function drbdMinor(minor: number): number {
  if (!Number.isInteger(minor) || minor < 0 || minor > DRBD_MINOR_MAX)
    throw new Error(`unsafe DRBD minor: ${JSON.stringify(minor)}`);
  return minor;
}

export function drbdPort(port: number): number {
  if (!Number.isInteger(port) || port < 1024 || port > 65535)
    throw new Error(`unsafe DRBD port: ${JSON.stringify(port)}`);
  return port;
}

/** A backing disk must be a logical volume path, /dev/<vg>/<lv>, both names valid LVM names. */
export function backingDisk(disk: string): string {
  const m = typeof disk === 'string' ? BACKING_DISK.exec(disk) : null;
  if (!m) throw new Error(`unsafe backing disk: ${JSON.stringify(disk)}`);
  try {
    lvmName(m[1]);
    lvmName(m[2]);
  } catch {
    throw new Error(`unsafe backing disk: ${JSON.stringify(disk)}`);
  }
  return disk;
}

function positiveGb(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 65536) throw new Error(`invalid size: ${n} GB`);
  return n;
}

export function drbdDevice(minor: number): string {
  return `/dev/drbd${drbdMinor(minor)}`;
}

export function resFilePath(name: string): string {
  return `/etc/drbd.d/${drbdResourceName(name)}.res`;
}

function configPath(path: string): string {
  if (typeof path !== 'string' || !CONFIG_PATH.test(path))
    throw new Error(`unsafe DRBD config path: ${JSON.stringify(path)}`);
  return path;
}

/** Checks a whole resource definition; returns it unchanged. */
export function validateResource(r: DrbdResource): DrbdResource {
  drbdResourceName(r.name);
  drbdMinor(r.minor);
  drbdPort(r.port);
  if (r.protocol !== undefined && r.protocol !== 'C') throw new Error(`unsafe DRBD protocol: ${String(r.protocol)}`);
  drbdSharedSecret(r.sharedSecret);
  if (!Array.isArray(r.nodes) || r.nodes.length !== 2) throw new Error('a DRBD resource has exactly two nodes');
  for (const n of r.nodes) {
    drbdHostname(n.hostname);
    ipv4(n.address);
    backingDisk(n.disk);
  }
  const [a, b] = r.nodes;
  if (a.hostname === b.hostname) throw new Error(`both DRBD nodes are named ${a.hostname}`);
  if (a.address === b.address) throw new Error(`both DRBD nodes have the address ${a.address}`);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration

/**
 * The net section. Times: connect-int and ping-int in seconds, ping-timeout and timeout in tenths of a second.
 * DRBD 8.4's limits: timeout 1..600, connect-int 1..120, ping-int 1..120, ping-timeout 1..300, and the manual
 * asks for timeout < connect-int and timeout < ping-int. A dead peer is noticed after at most
 * ping-int + ping-timeout = 2.5 s when idle, and after `timeout` = 1.5 s with writes in flight.
 */
export const DRBD_NET_TIMING = { connectIntSec: 2, pingIntSec: 2, pingTimeoutDs: 5, timeoutDs: 15 } as const;

/**
 * The resource file for DRBD 8.4 (drbd-utils 9 in 8.4 mode: `fencing` belongs to the disk section there, not to
 * net as in DRBD 9).
 *
 * Nothing in it lets a node discard a primary's data, or write alone, without the control plane:
 * - `fencing resource-and-stonith` + the fence-peer handler: a primary that loses its peer freezes its I/O and
 *   asks the control plane, which records the mirror degraded (so no automatic failover promotes the peer) before
 *   it lets the primary go on; a disconnected secondary is promoted only once the control plane says the old
 *   primary is fenced.
 * - after a split brain: with no primary, the side without changes gives way (nothing is lost); with one or two
 *   primaries, nobody decides (disconnect): the control plane does, when it lets a host rejoin.
 * - the peers authenticate each other with the resource's shared secret.
 */
export function renderResource(r: DrbdResource): string {
  validateResource(r);
  const t = DRBD_NET_TIMING;
  const on = (n: DrbdNode) =>
    [
      `  on ${n.hostname} {`,
      `    device ${drbdDevice(r.minor)};`,
      `    disk ${n.disk};`,
      `    meta-disk internal;`,
      `    address ${n.address}:${r.port};`,
      `  }`,
    ].join('\n');
  return [
    `# Written by the dbaas control plane; changes here are overwritten.`,
    `resource ${r.name} {`,
    `  protocol C;`,
    `  disk {`,
    `    fencing resource-and-stonith;`,
    `  }`,
    `  handlers {`,
    `    fence-peer "${FENCE_HANDLER}";`,
    `  }`,
    `  net {`,
    `    cram-hmac-alg sha256;`,
    `    shared-secret "${r.sharedSecret}";`,
    `    connect-int ${t.connectIntSec};`,
    `    ping-int ${t.pingIntSec};`,
    `    ping-timeout ${t.pingTimeoutDs};`,
    `    timeout ${t.timeoutDs};`,
    `    after-sb-0pri discard-zero-changes;`,
    `    after-sb-1pri disconnect;`,
    `    after-sb-2pri disconnect;`,
    `  }`,
    on(r.nodes[0]),
    on(r.nodes[1]),
    `}`,
    ``,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

const adm =
  (...args: string[]) =>
  (name: string) => ['drbdadm', ...args, drbdResourceName(name)];

export const drbdCmd = {
  up: adm('up'),
  down: adm('down'),
  /** Applies the resource file to a running resource (net options, peer address...); harmless when in sync. */
  adjust: adm('adjust'),
  primary: adm('primary'),
  /** Primary even with an Inconsistent disk or no peer: only for the very first promotion of a new volume. */
  primaryForce: adm('primary', '--force'),
  secondary: adm('secondary'),
  role: adm('role'),
  cstate: adm('cstate'),
  dstate: adm('dstate'),
  connect: adm('connect'),
  /**
   * Connects as the side whose changes are thrown away should the handshake find a split brain (a returning
   * host: the control plane made the other side primary). Without a split brain it changes nothing.
   */
  connectDiscardingMine: adm('connect', '--discard-my-data'),
  disconnect: adm('disconnect'),
  /** Marks this (secondary, disconnected) copy Outdated: DRBD refuses to promote it without --force. */
  outdate: adm('outdate'),
  /** Fresh metadata on the backing disk. As test/lab/smoke.sh runs it; --force skips drbdmeta's questions. */
  createMd: adm('create-md', '--force'),
  /** Both sides empty and connected: mark them UpToDate without the initial full resync. */
  newCurrentUuidClearBitmap: adm('--', '--clear-bitmap', 'new-current-uuid'),
  /** The contents of a resource file (cat exits 1 when it is missing). */
  readFile: (path: string) => ['cat', configPath(path)],
  /** `tee path` with the contents as input (stdout, the echo, is ignored). */
  writeFile: (path: string) => ['tee', configPath(path)],
  removeFile: (path: string) => ['rm', '-f', configPath(path)],
  uname: () => ['uname', '-n'],
  /**
   * A plain (thick) LV for DRBD to replicate; -Wy wipes old signatures (a stale filesystem or DRBD metadata from
   * a former volume at the same extents). lvm.ts's lvcreate does not pass -Wy.
   */
  lvcreateBacking: (vg: string, lv: string, sizeGb: number) => [
    'lvcreate',
    '-y',
    '-Wy',
    '-n',
    lvmName(lv),
    '-L',
    `${positiveGb(sizeGb)}g`,
    lvmName(vg),
  ],
};
