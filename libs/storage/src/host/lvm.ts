/**
 * LVM command builders and report parsers. Names are checked before they reach a command line: LVM
 * accepts [a-zA-Z0-9+_.-], no leading '-', and we are stricter still.
 */
const LVM_NAME = /^[a-z0-9][a-z0-9_.+-]{0,100}$/;

export function lvmName(name: string): string {
  if (!LVM_NAME.test(name) || name === '.' || name === '..')
    throw new Error(`invalid LVM name: ${JSON.stringify(name)}`);
  return name;
}

const DEVICE = /^\/dev\/[A-Za-z0-9/_.+-]+$/;
export function devicePath(dev: string): string {
  if (!DEVICE.test(dev) || dev.split('/').includes('..'))
    throw new Error(`invalid device path: ${JSON.stringify(dev)}`);
  return dev;
}

const REPORT = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];

export const lvmCmd = {
  lvs: (vg?: string) => [
    'lvs',
    ...REPORT,
    '-o',
    'lv_name,vg_name,lv_size,lv_path,lv_active,pool_lv',
    ...(vg === undefined ? [] : [lvmName(vg)]),
  ],
  vgs: () => ['vgs', ...REPORT, '-o', 'vg_name,vg_size,vg_free,lv_count,pv_count'],
  pvs: () => ['pvs', ...REPORT, '-o', 'pv_name,vg_name,pv_size,pv_free'],
  lvcreate: (vg: string, lv: string, sizeGb: number) => [
    'lvcreate',
    '-y',
    '-n',
    lvmName(lv),
    '-L',
    `${positive(sizeGb)}g`,
    lvmName(vg),
  ],
  /** A thin volume of `pool`: its size is virtual, blocks are taken from the pool as they are written. */
  lvcreateThin: (vg: string, pool: string, lv: string, sizeGb: number) => [
    'lvcreate',
    '-y',
    '-n',
    lvmName(lv),
    '-V',
    `${positive(sizeGb)}g`,
    '-T',
    `${lvmName(vg)}/${lvmName(pool)}`,
  ],
  /** A copy-on-write snapshot of `origin`; `cowMb` bounds how much the origin may change while it lives. */
  lvcreateSnapshot: (vg: string, origin: string, name: string, cowMb: number) => [
    'lvcreate',
    '-y',
    '-s',
    '-n',
    lvmName(name),
    '-L',
    `${positiveMb(cowMb)}m`,
    `${lvmName(vg)}/${lvmName(origin)}`,
  ],
  /**
   * A snapshot of a thin volume: taken in the pool, no size of its own, constant time whatever the origin's size.
   * Thin snapshots skip activation by default; this one is exported at once, so it is made activatable.
   */
  lvcreateThinSnapshot: (vg: string, origin: string, name: string) => [
    'lvcreate',
    '-y',
    '-s',
    '--setactivationskip',
    'n',
    '-n',
    lvmName(name),
    `${lvmName(vg)}/${lvmName(origin)}`,
  ],
  lvextend: (vg: string, lv: string, sizeGb: number) => [
    'lvextend',
    '-L',
    `${positive(sizeGb)}g`,
    `${lvmName(vg)}/${lvmName(lv)}`,
  ],
  lvremove: (vg: string, lv: string) => ['lvremove', '-y', `${lvmName(vg)}/${lvmName(lv)}`],
  lvrename: (vg: string, from: string, to: string) => ['lvrename', lvmName(vg), lvmName(from), lvmName(to)],
  /**
   * A block-level copy of a volume group (a snapshot of its disk) made a volume group of its own: new PV and VG
   * UUIDs and the name `vg`, so it can sit beside the original on one host.
   */
  vgimportclone: (vg: string, dev: string) => ['vgimportclone', '--basevgname', lvmName(vg), devicePath(dev)],
  pvcreate: (dev: string) => ['pvcreate', '-y', devicePath(dev)],
  pvresize: (dev: string) => ['pvresize', devicePath(dev)],
  pvremove: (dev: string) => ['pvremove', '-y', devicePath(dev)],
  vgcreate: (vg: string, dev: string) => ['vgcreate', '-y', lvmName(vg), devicePath(dev)],
  vgremove: (vg: string) => ['vgremove', '-y', lvmName(vg)],
  vgchange: (vg: string, active: boolean) => ['vgchange', '-a', active ? 'y' : 'n', lvmName(vg)],
};

function positiveMb(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 64 * 2 ** 20) throw new Error(`invalid size: ${n} MB`);
  return n;
}

function positive(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 65536) throw new Error(`invalid size: ${n} GB`);
  return n;
}

export interface LogicalVolume {
  name: string;
  vg: string;
  sizeBytes: number;
  path: string;
  active: boolean;
  /** The thin pool a thin volume lives in; null for a plain (thick) one. */
  pool: string | null;
}
export interface VolumeGroup {
  name: string;
  sizeBytes: number;
  freeBytes: number;
  lvCount: number;
  pvCount: number;
}
export interface PhysicalVolume {
  name: string;
  vg: string;
  sizeBytes: number;
  freeBytes: number;
}

function report<T>(stdout: string, key: 'lv' | 'vg' | 'pv'): T[] {
  const json = JSON.parse(stdout) as { report: Record<string, T[]>[] };
  return json.report.flatMap((r) => r[key] ?? []);
}

export function parseLvs(stdout: string): LogicalVolume[] {
  return report<Record<string, string>>(stdout, 'lv').map((r) => ({
    name: r.lv_name,
    vg: r.vg_name,
    sizeBytes: Number(r.lv_size),
    path: r.lv_path,
    active: r.lv_active === 'active',
    pool: r.pool_lv || null,
  }));
}

export function parseVgs(stdout: string): VolumeGroup[] {
  return report<Record<string, string>>(stdout, 'vg').map((r) => ({
    name: r.vg_name,
    sizeBytes: Number(r.vg_size),
    freeBytes: Number(r.vg_free),
    lvCount: Number(r.lv_count),
    pvCount: Number(r.pv_count),
  }));
}

export function parsePvs(stdout: string): PhysicalVolume[] {
  return report<Record<string, string>>(stdout, 'pv').map((r) => ({
    name: r.pv_name,
    vg: r.vg_name,
    sizeBytes: Number(r.pv_size),
    freeBytes: Number(r.pv_free),
  }));
}

/** LVM's "not found" answers (exit 5), which idempotent removals treat as done. */
export function isLvmNotFound(stderr: string): boolean {
  return /not found|Failed to find logical volume/i.test(stderr);
}
