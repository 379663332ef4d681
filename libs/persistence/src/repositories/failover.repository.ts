import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Brackets, DataSource, IsNull, Repository } from 'typeorm';
import type { FailoverRepository, NewFailover } from '@app/domain/ports';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import { DatabaseEntity, FailoverEntity, FailoverStatus, OperationEntity } from '../entities';

@Injectable()
export class TypeOrmFailoverRepository implements FailoverRepository {
  constructor(
    @InjectRepository(FailoverEntity) private readonly repo: Repository<FailoverEntity>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  async start(f: NewFailover) {
    return this.ds.transaction(async (tx) => {
      // The row lock orders this against other requests on the database (and a second detector).
      const db = await tx.findOne(DatabaseEntity, {
        where: { id: f.databaseId, deletedAt: IsNull() },
        lock: { mode: 'pessimistic_write' },
      });
      if (!db) throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
      const running = await tx.findOne(FailoverEntity, { where: { databaseId: f.databaseId, status: 'running' } });
      if (running) {
        const operation = running.operationId ? await tx.findOneBy(OperationEntity, { id: running.operationId }) : null;
        if (operation) return { failover: running, operation, existing: true };
      }
      const operation = await tx.save(
        tx.create(OperationEntity, {
          type: 'failover-database',
          status: 'queued',
          tenantId: db.tenantId,
          databaseId: db.id,
          hostId: f.toHostId ?? db.hostId,
          params: { reason: f.reason },
        }),
      );
      const failover = await tx.save(
        tx.create(FailoverEntity, {
          databaseId: db.id,
          tenantId: db.tenantId,
          operationId: operation.id,
          ha: db.ha,
          reason: f.reason,
          status: 'running',
          fromHostId: f.fromHostId,
          toHostId: f.toHostId,
          actor: f.actor,
          detectedAt: f.detectedAt,
          fencedAt: f.fencedAt ?? null,
          acceptDataLoss: f.acceptDataLoss ?? false,
        }),
      );
      await tx.update(OperationEntity, { id: operation.id }, { params: { reason: f.reason, failoverId: failover.id } });
      operation.params = { reason: f.reason, failoverId: failover.id };
      await tx.update(DatabaseEntity, { id: db.id }, { status: 'failing-over' });
      return { failover, operation, existing: false };
    });
  }

  get(id: string) {
    return this.repo.findOneBy({ id });
  }

  forOperation(operationId: string) {
    return this.repo.findOneBy({ operationId });
  }

  list(filter: { databaseId?: string; hostId?: string; status?: FailoverStatus; since?: Date; limit: number }) {
    const q = this.repo.createQueryBuilder('f').orderBy('f.created_at', 'DESC').limit(filter.limit);
    if (filter.databaseId) q.andWhere('f.database_id = :db', { db: filter.databaseId });
    if (filter.status) q.andWhere('f.status = :st', { st: filter.status });
    if (filter.since) q.andWhere('f.created_at >= :since', { since: filter.since });
    if (filter.hostId)
      q.andWhere(
        new Brackets((b) => b.where('f.from_host_id = :h', { h: filter.hostId }).orWhere('f.to_host_id = :h')),
      );
    return q.getMany();
  }

  async update(id: string, patch: Partial<FailoverEntity>) {
    await this.repo.update({ id }, patch);
  }

  async addRoundTrips(id: string, n: number) {
    // One statement: attempts of a retried job never lose each other's count.
    await this.repo.query('UPDATE failovers SET round_trips = COALESCE(round_trips, 0) + $2 WHERE id = $1', [id, n]);
  }

  async mark(id: string, field: 'fencedAt' | 'storageMovedAt' | 'startedAt' | 'reachableAt', at = new Date()) {
    await this.repo.update({ id, [field]: IsNull() }, { [field]: at });
  }
}
