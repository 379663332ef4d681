/**
 * Where a backup may go: BACKUP_TARGET is a comma-separated list of targets, in the operator's order of
 * preference. Each backup goes to the first one outside its database's failure domain, so that losing the
 * database's host (or its rack, or its SAN storage server) does not take its backups along.
 */
export type BackupTargetSpec =
  | { kind: 'local'; root: string; description: string }
  | { kind: 'backend' | 'host'; name: string; root: string; description: string };

const ONE = /^(?:local|(backend|host):([a-z0-9][a-z0-9-]{0,39})):(\/[A-Za-z0-9._/-]+)$/;

/** Parses one target (`local:/p`, `backend:<storage backend>:/p`, `host:<registered host>:/p`). Throws if bad. */
export function parseBackupTarget(description: string): BackupTargetSpec {
  const m = ONE.exec(description);
  if (!m || m[3].split('/').includes('..')) throw new Error(`invalid backup target ${description}`);
  const root = m[3].replace(/\/+$/, '');
  if (!root) throw new Error(`invalid backup target ${description} (the filesystem root)`);
  if (!m[1]) return { kind: 'local', root, description };
  return { kind: m[1] as 'backend' | 'host', name: m[2], root, description };
}

export function parseBackupTargets(list: string): BackupTargetSpec[] {
  const targets = list.split(',').map((s) => parseBackupTarget(s.trim()));
  if (!targets.length) throw new Error('no backup target');
  return targets;
}

/** What the choice needs to know of the database's placement. */
export interface DatabasePlace {
  host: { name: string; connection: string; labels: Record<string, string> } | null;
  /** The storage backend holding its volume (SAN), if any. */
  backendName: string | null;
}

/** Labels naming a failure domain shared by the machines that carry them (as placement reads them). */
const DOMAIN_LABELS = ['rack', 'hypervisor'];

/**
 * Why the target would share the database's failure domain, or null when it does not. `targetHost` is the
 * registered host of a `host:` target (its labels), when known.
 */
export function sharedDomain(
  t: BackupTargetSpec,
  db: DatabasePlace,
  targetHost?: { labels?: Record<string, string> } | null,
): string | null {
  if (t.kind === 'local')
    return db.host?.connection === 'local' ? "the control plane's machine, where the database runs too" : null;
  if (t.kind === 'backend')
    return db.backendName === t.name ? `storage backend ${t.name}, which holds the database's volume` : null;
  if (!db.host) return null;
  if (db.host.name === t.name) return `host ${t.name}, the database's own host`;
  for (const label of DOMAIN_LABELS) {
    const v = db.host.labels?.[label];
    if (v && targetHost?.labels?.[label] === v) return `host ${t.name}, in the database's ${label} ${v}`;
  }
  return null;
}

/**
 * The first usable target outside the database's failure domain; when every usable one shares it, the first
 * usable one with the reason (better a backup there than none; the caller records it). `usable` excludes
 * targets whose backend or host is not registered.
 */
export function chooseBackupTarget(
  targets: BackupTargetSpec[],
  db: DatabasePlace,
  lookup: (t: BackupTargetSpec) => { usable: boolean; labels?: Record<string, string> },
): { target: BackupTargetSpec; shared: string | null } {
  const usable = targets.map((t) => ({ t, info: lookup(t) })).filter((x) => x.info.usable);
  const pool = usable.length ? usable : targets.map((t) => ({ t, info: { usable: false, labels: undefined } }));
  for (const { t, info } of pool) if (!sharedDomain(t, db, info)) return { target: t, shared: null };
  const first = pool[0];
  return { target: first.t, shared: sharedDomain(first.t, db, first.info) };
}
