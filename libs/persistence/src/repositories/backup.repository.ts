import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, LessThanOrEqual, Repository } from 'typeorm';
import type { BackupRepository, NewBackup } from '@app/domain/ports';
import { BackupEntity, BackupStatus, DatabaseEntity, OperationEntity } from '../entities';

@Injectable()
export class TypeOrmBackupRepository implements BackupRepository {
  constructor(
    @InjectRepository(BackupEntity) private readonly repo: Repository<BackupEntity>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  async start(b: Omit<NewBackup, 'path'>, pathFor: (backupId: string) => string) {
    return this.ds.transaction(async (tx) => {
      // The row lock orders this with other operations requested on the same database.
      await tx.findOne(DatabaseEntity, { where: { id: b.databaseId }, lock: { mode: 'pessimistic_write' } });
      const busy = await tx.findOne(OperationEntity, {
        where: { databaseId: b.databaseId, status: In(['queued', 'running']) },
        order: { createdAt: 'DESC' },
      });
      if (busy) return { busy };
      const operation = await tx.save(
        tx.create(OperationEntity, {
          type: 'backup-database',
          status: 'queued',
          tenantId: b.tenantId,
          databaseId: b.databaseId,
          params: { kind: b.kind },
        }),
      );
      const row = tx.create(BackupEntity, { ...b, status: 'pending', path: '', operationId: operation.id });
      const backup = await tx.save(row);
      backup.path = pathFor(backup.id);
      await tx.update(BackupEntity, { id: backup.id }, { path: backup.path });
      await tx.update(OperationEntity, { id: operation.id }, { params: { kind: b.kind, backupId: backup.id } });
      operation.params = { kind: b.kind, backupId: backup.id };
      return { backup, operation };
    });
  }

  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  forOperation(operationId: string) {
    return this.repo.findOneBy({ operationId });
  }
  getForTenant(id: string, tenantId: string) {
    return this.repo.findOneBy({ id, tenantId, deletedAt: IsNull() });
  }
  async getSealedCredentials(id: string) {
    const row = await this.repo
      .createQueryBuilder('b')
      .select(['b.id'])
      .addSelect('b.credentials')
      .where('b.id = :id', { id })
      .getOne();
    return row?.credentials ?? null;
  }
  list(filter: { tenantId?: string; databaseId?: string; status?: BackupStatus; limit: number }) {
    return this.repo.find({
      where: {
        deletedAt: IsNull(),
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
        ...(filter.databaseId ? { databaseId: filter.databaseId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      order: { createdAt: 'DESC' },
      take: filter.limit,
    });
  }
  listScheduled(databaseId: string) {
    return this.repo.find({
      where: { databaseId, kind: 'scheduled', status: 'completed', deletedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }
  async lastScheduled() {
    const rows: { database_id: string; at: Date }[] = await this.repo.query(
      `SELECT database_id, max(created_at) AS at FROM backups
       WHERE kind = 'scheduled' AND status <> 'failed' AND deleted_at IS NULL GROUP BY database_id`,
    );
    return new Map(rows.map((r) => [r.database_id, new Date(r.at)]));
  }
  async databasesWithBackups() {
    const rows: { database_id: string }[] = await this.repo.query(
      `SELECT DISTINCT database_id FROM backups WHERE deleted_at IS NULL`,
    );
    return rows.map((r) => r.database_id);
  }
  listExpired(now: Date) {
    return this.repo.find({ where: { deletedAt: IsNull(), expiresAt: LessThanOrEqual(now) } });
  }
  async update(id: string, patch: Partial<BackupEntity>) {
    await this.repo.update({ id }, patch);
  }
  async expireForDatabase(databaseId: string, at: Date) {
    // Only backups without an earlier expiry: a second deletion request never extends a retention.
    await this.repo.update({ databaseId, deletedAt: IsNull(), expiresAt: IsNull() }, { expiresAt: at });
  }
  async markDeleted(id: string) {
    await this.repo.update({ id }, { deletedAt: new Date(), credentials: null });
  }
}
