import { Inject, Injectable } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import { removePath } from '@app/storage/sync';
import type { CommandExecutor } from '../ports';
import { HOST_CONNECTOR, HostConnector, STORAGE_BACKEND_REPOSITORY, StorageBackendRepository } from '../ports';

export interface BackupStore {
  exec: CommandExecutor;
  root: string;
  /** As recorded on each backup: `local:/path` or `backend:<name>:/path`. */
  description: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The backup target from BACKUP_TARGET: a directory on the control plane's machine, or one on a SAN storage
 * server (its SSH access), e.g. an NFS export mounted there. Archives are laid out by tenant and database.
 */
@Injectable()
export class BackupTargets {
  constructor(
    @Inject(ENV) private readonly env: CommonEnv,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
  ) {}

  get description(): string {
    return this.env.BACKUP_TARGET;
  }

  archivePath(description: string, tenantId: string, databaseId: string, backupId: string): string {
    for (const id of [tenantId, databaseId, backupId]) if (!UUID.test(id)) throw new Error('ids must be uuids');
    return `${this.parse(description).root}/${tenantId}/${databaseId}/${backupId}.tar.gz`;
  }

  /** The store a backup was written to (each backup records its own, so changing BACKUP_TARGET strands none). */
  async open(description: string): Promise<BackupStore> {
    const { backend, root } = this.parse(description);
    if (!backend) return { exec: this.connector.controlPlane(), root, description };
    const b = await this.backends.findByName(backend);
    if (!b) throw new Error(`backup target: storage backend "${backend}" is not registered`);
    return { exec: await this.connector.storageExecutor(b), root, description };
  }

  /** Removes a backup's archive (idempotent), and its database's directory once empty. */
  async remove(backup: { target: string; path: string }): Promise<void> {
    const store = await this.open(backup.target);
    await removePath(store, backup.path);
    const dir = backup.path.replace(/\/[^/]+$/, '');
    await store.exec.run(['rmdir', '--ignore-fail-on-non-empty', '--', dir]).catch(() => undefined);
  }

  private parse(description: string): { backend: string | null; root: string } {
    const m = /^(?:local|backend:([a-z0-9][a-z0-9-]{0,39})):(\/[A-Za-z0-9._/-]+)$/.exec(description);
    if (!m || m[2].split('/').includes('..')) throw new Error(`invalid backup target ${description}`);
    return { backend: m[1] ?? null, root: m[2].replace(/\/+$/, '') };
  }
}
