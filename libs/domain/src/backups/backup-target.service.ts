import { Inject, Injectable } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import type { DatabaseEntity } from '@app/persistence/entities';
import type { CommandExecutor } from '../ports';
import {
  TREE_SYNC,
  TreeSync,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  LUN_REPOSITORY,
  LunRepository,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import {
  BackupTargetSpec,
  chooseBackupTarget,
  DatabasePlace,
  parseBackupTarget,
  parseBackupTargets,
} from './target-choice';

export interface BackupStore {
  exec: CommandExecutor;
  root: string;
  /** As recorded on each backup: `local:/path`, `backend:<name>:/path` or `host:<name>:/path`. */
  description: string;
  label: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The executor with its failures to reach the target (a refused or timed-out SSH connection, a lost session) naming
 * the target: "Timed out while waiting for handshake" alone does not tell an operator which machine to look at.
 */
function naming(label: string, exec: CommandExecutor): CommandExecutor {
  const named = (err: unknown): Error => {
    const message = err instanceof Error ? err.message : String(err);
    return message.includes(label) ? (err as Error) : new Error(`${label}: ${message}`, { cause: err });
  };
  return {
    run: (argv, opts) => exec.run(argv, opts).catch((err) => Promise.reject(named(err))),
    spawn: (argv, opts) => exec.spawn(argv, opts).catch((err) => Promise.reject(named(err))),
  };
}

/** Where an archive is written and checked before it takes its own name (see BackupTargets.commit). */
export const partialPath = (path: string): string => `${path}.partial`;

/**
 * The backup targets from BACKUP_TARGET, in order of preference: a directory on the control plane's machine
 * (`local:`), on a SAN storage server (`backend:`, its SSH access; e.g. an NFS export mounted there) or on another
 * registered host (`host:`, its SSH access, host key pinned). Each backup goes to the first target outside its
 * database's failure domain (see target-choice.ts) and records it. Archives are laid out by tenant and database.
 */
@Injectable()
export class BackupTargets {
  constructor(
    @Inject(ENV) private readonly env: CommonEnv,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
    @Inject(TREE_SYNC) private readonly sync: TreeSync,
  ) {}

  /** The target for a new backup of `db`, and why it shares the database's failure domain if it has to. */
  async choose(db: DatabaseEntity): Promise<{ description: string; shared: string | null }> {
    const targets = parseBackupTargets(this.env.BACKUP_TARGET);
    const host = db.hostId ? await this.hosts.get(db.hostId) : null;
    const volume = await this.volumes.forDatabase(db.id);
    const lun = volume?.lunId ? await this.luns.get(volume.lunId) : null;
    const backend = lun ? await this.backends.get(lun.backendId) : null;
    const place: DatabasePlace = {
      host: host ? { name: host.name, connection: host.connection, labels: host.labels ?? {} } : null,
      backendName: backend?.name ?? null,
    };
    const known = new Map<string, { usable: boolean; labels?: Record<string, string> }>();
    for (const t of targets) {
      if (t.kind === 'local') known.set(t.description, { usable: true });
      else if (t.kind === 'backend') known.set(t.description, { usable: !!(await this.backends.findByName(t.name)) });
      else {
        const h = await this.hosts.findByName(t.name);
        known.set(t.description, { usable: !!h, labels: h?.labels ?? {} });
      }
    }
    const { target, shared } = chooseBackupTarget(targets, place, (t) => known.get(t.description)!);
    return { description: target.description, shared };
  }

  archivePath(description: string, tenantId: string, databaseId: string, backupId: string): string {
    for (const id of [tenantId, databaseId, backupId]) if (!UUID.test(id)) throw new Error('ids must be uuids');
    // `.enc`: an encrypted tar.gz (see ARCHIVE_ENCRYPTION); nothing on the target reads as a plain archive.
    return `${parseBackupTarget(description).root}/${tenantId}/${databaseId}/${backupId}.tar.gz.enc`;
  }

  /** The store a backup was written to (each backup records its own, so changing BACKUP_TARGET strands none). */
  async open(description: string): Promise<BackupStore> {
    const t: BackupTargetSpec = parseBackupTarget(description);
    const label = `backup target ${description}`;
    if (t.kind === 'local') return { exec: this.connector.controlPlane(), root: t.root, description, label };
    if (t.kind === 'backend') {
      const b = await this.backends.findByName(t.name);
      if (!b) throw new Error(`backup target: storage backend "${t.name}" is not registered`);
      return { exec: naming(label, await this.connector.storageExecutor(b)), root: t.root, description, label };
    }
    const h = await this.hosts.findByName(t.name);
    if (!h) throw new Error(`backup target: host "${t.name}" is not registered`);
    return { exec: naming(label, await this.connector.executor(h)), root: t.root, description, label };
  }

  /**
   * The SHA-256 of a stored archive, computed where it is stored (`sha256sum`, coreutils): only 64 hex digits
   * travel. Null when the file is not there.
   */
  async sha256(store: BackupStore, path: string): Promise<string | null> {
    const file = this.sync.checkPath(path);
    const res = await store.exec.run(['sha256sum', '--', file], { timeoutMs: 60 * 60_000 });
    if (res.exitCode !== 0) {
      if (/No such file/i.test(res.stderr)) return null;
      throw new Error(`sha256sum failed on ${store.label} (exit ${res.exitCode}): ${res.stderr.trim().slice(0, 500)}`);
    }
    const m = /^([0-9a-f]{64})\s/.exec(res.stdout);
    if (!m) throw new Error(`sha256sum on ${store.label}: unexpected output`);
    return m[1];
  }

  /**
   * Puts a verified archive under its own name (a rename in one directory: atomic), and makes the rename durable.
   * Until then the archive is only `partialPath`: a write cut short never sits where a backup is read from.
   */
  async commit(store: BackupStore, path: string): Promise<void> {
    const file = this.sync.checkPath(path);
    const steps: [string, string[]][] = [
      ['mv', ['mv', '-f', '-T', '--', partialPath(file), file]],
      ['sync', ['sync', '--', file.replace(/\/[^/]+$/, '')]],
    ];
    for (const [what, argv] of steps) {
      const res = await store.exec.run(argv, { timeoutMs: 60_000 });
      if (res.exitCode !== 0)
        throw new Error(`${what} failed on ${store.label} (exit ${res.exitCode}): ${res.stderr.trim().slice(0, 500)}`);
    }
  }

  /** Removes a backup's archive (idempotent), a partial one left by a failed write too, and its database's
   * directory once empty. */
  async remove(backup: { target: string; path: string }): Promise<void> {
    const store = await this.open(backup.target);
    await this.sync.removePath(store, backup.path);
    await this.sync.removePath(store, partialPath(backup.path));
    const dir = backup.path.replace(/\/[^/]+$/, '');
    await store.exec.run(['rmdir', '--ignore-fail-on-non-empty', '--', dir]).catch(() => undefined);
  }
}
