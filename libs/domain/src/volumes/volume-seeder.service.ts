import { pipeline, Writable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { BackupEntity } from '@app/persistence/entities';
import { BackupKeys } from '../backups/backup-keys.service';
import { BackupStore, BackupTargets } from '../backups/backup-target.service';
import {
  CRYPTOGRAPHY,
  Cryptography,
  TREE_SYNC,
  TreeSync,
  BACKUP_REPOSITORY,
  BackupRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_CONNECTOR,
  HostConnector,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import { reportTo, tagFor, VolumeCopier } from './volume-copier.service';
import type { Loaded } from '../databases/runtime/database-runtime.service';
import { OperationContext, StepFailed } from '../operations/operation-context';

/**
 * A clone's or a restore's first data, put in its fresh volume before its container first starts: a consistent
 * copy of the source database, or the backup's archive unpacked. Done once (the volume records it); a retry
 * after a crash mid-copy starts over on the same volume, and the incremental sync only moves what is missing.
 */
@Injectable()
export class VolumeSeeder {
  constructor(
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(TREE_SYNC) private readonly sync: TreeSync,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
    private readonly copier: VolumeCopier,
    private readonly targets: BackupTargets,
    private readonly keys: BackupKeys,
  ) {}

  /**
   * Before a restore touches anything: the backup's archive, hashed where it is stored, must match the SHA-256
   * recorded when it was taken. A mismatch (one byte altered, a file replaced or gone) ends the restore for good,
   * with the reason and a `backup.verification-failed` event. Backups of before checksums have none to check.
   */
  async verifyBackup(l: Loaded, op: OperationContext): Promise<void> {
    const origin = l.db.origin;
    if (origin?.kind !== 'backup' || l.volume.seededAt) return;
    const backup = await this.liveBackup(origin.backupId);
    if (!backup.sha256) {
      await op.progress(4, 'the backup predates checksums: restored unchecked');
      return;
    }
    await op.progress(3, 'checking the backup archive (SHA-256)');
    const store = await this.targets.open(backup.target);
    const found = await this.targets.sha256(store, backup.path);
    if (found === backup.sha256) return;
    const why = found
      ? `its archive was altered: SHA-256 ${found}, not the ${backup.sha256} recorded when it was taken`
      : `its archive is missing from ${backup.target}`;
    await this.refuse(l, op, backup, `backup ${backup.id} cannot be trusted: ${why}; nothing was restored`);
  }

  private async refuse(l: Loaded, op: OperationContext, backup: BackupEntity, message: string): Promise<never> {
    await this.backups.update(backup.id, { error: message.slice(0, 2000) });
    await this.events.record({
      type: 'backup.verification-failed',
      message,
      tenantId: l.db.tenantId,
      databaseId: l.db.id,
      operationId: op.operationId,
    });
    throw new StepFailed('restore', message, { permanent: true });
  }

  /** Reads the whole archive through its authentication, keeping nothing: the failure, or null if it holds. */
  private async authFailure(store: BackupStore, backup: BackupEntity): Promise<Error | null> {
    const key = await this.keys.existing(backup.tenantId);
    if (!key || !backup.encryption) return null;
    const file = await this.sync.readFile(store, backup.path);
    const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
    try {
      await Promise.all([pipelineAsync(file.stream, this.crypto.decryptArchive(key, backup.id), sink), file.done]);
      return null;
    } catch (err) {
      return this.crypto.isArchiveAuthenticationError(err) ? err : null;
    }
  }

  private async liveBackup(id: string): Promise<BackupEntity> {
    const backup = await this.backups.get(id);
    if (!backup || backup.deletedAt || backup.status !== 'completed')
      throw new StepFailed('restore', 'the backup is gone');
    return backup;
  }

  /**
   * A clone the storage can make itself, before the volume exists (a thin snapshot of the source's LUN): true when
   * it did (the volume is then seeded, with no data moved). False when it cannot; the reason is kept for the
   * clone's event, and the file copy runs once the volume is created.
   */
  async seedFromStorage(
    l: Loaded,
    op: OperationContext,
    loadSource: (id: string) => Promise<Loaded>,
  ): Promise<{ done: boolean; refused?: string }> {
    const origin = l.db.origin;
    if (origin?.kind !== 'clone' || l.volume.seededAt) return { done: false };
    const driver = this.storage.get(l.volume.driver);
    if (!driver.cloneVolume) return { done: false, refused: `${l.volume.driver} volumes are copied file by file` };
    const source = await loadSource(origin.databaseId).catch(() => {
      throw new StepFailed('clone', 'the source database is gone');
    });
    const started = Date.now();
    const made = await driver.cloneVolume(source, l);
    if ('refused' in made) return { done: false, refused: made.refused };
    await this.volumes.update(l.volume.id, { seededAt: new Date() });
    const message =
      `copied from ${source.db.name} by ${made.method} in ${Date.now() - started} ms (no data moved); ` +
      `the source's filesystem was frozen ${made.frozenMs} ms`;
    await this.events.record({
      type: 'database.cloned',
      message,
      tenantId: l.db.tenantId,
      databaseId: l.db.id,
      operationId: op.operationId,
    });
    await op.progress(50, `cloned by ${made.method}; the source was frozen ${made.frozenMs} ms`);
    return { done: true };
  }

  async seed(
    l: Loaded,
    hostPath: string,
    op: OperationContext,
    loadSource: (id: string) => Promise<Loaded>,
    notThin?: string,
  ) {
    const origin = l.db.origin;
    if (!origin || l.volume.seededAt) return;
    const target = { exec: await this.connector.executor(l.host), root: hostPath, label: 'new volume' };
    if (origin.kind === 'clone') {
      const source = await loadSource(origin.databaseId).catch(() => {
        throw new StepFailed('clone', 'the source database is gone');
      });
      await op.progress(8, 'copying the source database');
      const copy = await this.copier.copyConsistent(
        source,
        target,
        tagFor(op.operationId),
        reportTo(op, 8, 50, 'copy'),
      );
      const frozen = copy.frozenMs === null ? 'the source never stopped' : `the source was frozen ${copy.frozenMs} ms`;
      const moved = copy.passes.map((p) => `${p.transferredFiles} files/${p.transferredBytes} B`).join(', then ');
      const why = notThin ? ` (no storage-side clone: ${notThin})` : '';
      await this.events.record({
        type: 'database.cloned',
        message: `copied from ${source.db.name} by ${copy.method} (${moved}); ${frozen}${why}`,
        tenantId: l.db.tenantId,
        databaseId: l.db.id,
        operationId: op.operationId,
      });
      await op.progress(50, `copied with ${copy.method}; ${frozen}`);
    } else {
      const backup = await this.liveBackup(origin.backupId);
      const store = await this.targets.open(backup.target);
      await op.progress(8, 'unpacking the backup');
      // A retry starts from an empty directory: a half-unpacked archive is not a consistent state.
      await this.sync.removePath(target, hostPath);
      const file = await this.sync.readFile(store, backup.path);
      let source: NodeJS.ReadableStream = file.stream;
      if (backup.encryption) {
        if (backup.encryption !== this.crypto.archiveEncryption)
          throw new StepFailed('restore', `unknown archive encryption ${backup.encryption}`, { permanent: true });
        const key = await this.keys.existing(backup.tenantId);
        if (!key) throw new StepFailed('restore', "the tenant's backup key is gone", { permanent: true });
        // Authenticated at its end: a failure there voids what was unpacked (removed below).
        source = pipeline(file.stream, this.crypto.decryptArchive(key, backup.id), () => undefined);
      }
      try {
        await Promise.all([
          this.sync.extractArchive(source, target, {
            totalBytes: backup.sizeBytes ?? undefined,
            onProgress: reportTo(op, 8, 50, 'restore'),
          }),
          file.done,
        ]);
      } catch (err) {
        // Altered bytes may break tar before the tag is reached: any failure of an encrypted archive is checked
        // against a full pass of its authentication, which tells a tampered archive (for good) from a hiccup.
        const auth = this.crypto.isArchiveAuthenticationError(err) ? err : await this.authFailure(store, backup);
        if (!auth) throw err;
        await this.sync.removePath(target, hostPath);
        await this.refuse(
          l,
          op,
          backup,
          `backup ${backup.id} cannot be trusted: ${auth.message}; nothing was restored`,
        );
      }
    }
    // A copy of a PostgreSQL made read-only by its quota would come back as a standby (the signal is in its data):
    // the new database is judged against its own plan, and starts writable.
    if (l.db.engine === 'postgresql') await this.sync.removePath(target, `${hostPath}/pgdata/standby.signal`);
    await this.volumes.update(l.volume.id, { seededAt: new Date() });
  }
}
