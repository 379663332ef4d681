import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { AuditRepository, FleetQueries } from '@app/domain/ports';
import { AuditEntryEntity } from '../entities';

@Injectable()
export class TypeOrmAuditRepository implements AuditRepository {
  constructor(@InjectRepository(AuditEntryEntity) private readonly repo: Repository<AuditEntryEntity>) {}

  async record(entry: Omit<AuditEntryEntity, 'id' | 'createdAt'>): Promise<void> {
    await this.repo.insert(entry as QueryDeepPartialEntity<AuditEntryEntity>);
  }

  list(filter: { actor?: string; target?: string; limit: number }): Promise<AuditEntryEntity[]> {
    return this.repo.find({
      where: { ...(filter.actor ? { actor: filter.actor } : {}), ...(filter.target ? { target: filter.target } : {}) },
      order: { createdAt: 'DESC' },
      take: filter.limit,
    });
  }
}

const byKey = (rows: { key: string; n: string }[]) => Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));

@Injectable()
export class SqlFleetQueries implements FleetQueries {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async databasesByStatus(): Promise<Record<string, number>> {
    return byKey(
      await this.ds.query(
        `SELECT status AS key, count(*) AS n FROM databases WHERE deleted_at IS NULL AND status <> 'deleted' GROUP BY status`,
      ),
    );
  }

  async failoversByStatusSince(since: Date): Promise<Record<string, number>> {
    return byKey(
      await this.ds.query(
        `SELECT status AS key, count(*) AS n FROM failovers WHERE detected_at >= $1 GROUP BY status`,
        [since],
      ),
    );
  }

  async operationCounts(failedSince: Date): Promise<{ queued: number; running: number; failedSince: number }> {
    const [row] = await this.ds.query(
      `SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
              count(*) FILTER (WHERE status = 'running') AS running,
              count(*) FILTER (WHERE status = 'failed' AND finished_at >= $1) AS failed
       FROM operations WHERE status IN ('queued', 'running') OR (status = 'failed' AND finished_at >= $1)`,
      [failedSince],
    );
    return { queued: Number(row.queued), running: Number(row.running), failedSince: Number(row.failed) };
  }

  async hostInventory(): Promise<Map<string, { databases: number; luns: number }>> {
    const rows: { host_id: string; databases: string; luns: string }[] = await this.ds.query(`
      SELECT h.id AS host_id,
        (SELECT count(*) FROM databases d WHERE d.host_id = h.id AND d.deleted_at IS NULL) AS databases,
        (SELECT count(*) FROM luns l WHERE l.host_id = h.id AND l.deleted_at IS NULL) AS luns
      FROM hosts h`);
    return new Map(rows.map((r) => [r.host_id, { databases: Number(r.databases), luns: Number(r.luns) }]));
  }

  async latestOperations(databaseIds: string[]): Promise<Map<string, string>> {
    if (databaseIds.length === 0) return new Map();
    const rows: { database_id: string; id: string }[] = await this.ds.query(
      `SELECT DISTINCT ON (database_id) database_id, id FROM operations
       WHERE database_id = ANY($1::uuid[]) ORDER BY database_id, created_at DESC`,
      [databaseIds],
    );
    return new Map(rows.map((r) => [r.database_id, r.id]));
  }

  async tenantNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; name: string }[] = await this.ds.query(
      `SELECT id, name FROM tenants WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
