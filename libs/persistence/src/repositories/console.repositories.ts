import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type {
  AuditRepository,
  ContainerSeries,
  DatabaseSeries,
  DurationSeries,
  FleetQueries,
  PlacementSettingsRepository,
  SampleRepository,
} from '@app/domain/ports';
import { AuditEntryEntity, DatabaseSampleEntity, PlacementSettingsEntity } from '../entities';

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

interface DatabaseSampleRow {
  database_id: string;
  host_id: string;
  cpu_cores: string;
  cpu_seconds_total: number;
  memory_bytes: string;
  memory_limit_bytes: string;
  net_rx_bytes: string;
  net_tx_bytes: string;
  blk_read_bytes: string;
  blk_write_bytes: string;
  sampled_at: string;
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

  async durationBuckets(kind: 'operation' | 'failover', buckets: number[]): Promise<DurationSeries[]> {
    // One row per label set and bucket, counted in SQL: the scrape never loads the rows themselves.
    const source =
      kind === 'operation'
        ? `SELECT jsonb_build_object('type', type, 'status', status) AS labels,
                  extract(epoch FROM finished_at - started_at) AS d
           FROM operations WHERE finished_at IS NOT NULL AND started_at IS NOT NULL`
        : // A failover's end: reachable again, or the last update of one that failed.
          `SELECT jsonb_build_object('ha', ha, 'reason', reason, 'status', status) AS labels,
                  extract(epoch FROM coalesce(reachable_at, updated_at) - detected_at) AS d
           FROM failovers WHERE status <> 'running'`;
    const counts: { labels: Record<string, string>; i: string; n: string }[] = await this.ds.query(
      `SELECT s.labels, b.i, count(*) FILTER (WHERE s.d <= b.le) AS n
       FROM (${source}) s CROSS JOIN unnest($1::float8[]) WITH ORDINALITY AS b(le, i)
       GROUP BY s.labels, b.i`,
      [buckets],
    );
    const totals: { labels: Record<string, string>; sum: string; count: string }[] = await this.ds.query(
      `SELECT s.labels, sum(s.d) AS sum, count(*) AS count FROM (${source}) s GROUP BY s.labels`,
    );
    return totals.map((t) => {
      const key = JSON.stringify(t.labels);
      const cumulative = buckets.map(() => 0);
      for (const c of counts) if (JSON.stringify(c.labels) === key) cumulative[Number(c.i) - 1] = Number(c.n);
      return { labels: t.labels, cumulative, sum: Number(t.sum), count: Number(t.count) };
    });
  }

  async databaseSeries(): Promise<DatabaseSeries[]> {
    const rows: Record<string, string | null>[] = await this.ds.query(`
      SELECT d.id, d.name, d.engine, d.status, d.ha, t.name AS tenant, h.name AS host,
             v.used_bytes, v.size_gb, v.driver, v.quota_state
      FROM databases d
      JOIN tenants t ON t.id = d.tenant_id
      LEFT JOIN hosts h ON h.id = d.host_id
      LEFT JOIN LATERAL (SELECT used_bytes, size_gb, driver, quota_state FROM volumes
                         WHERE database_id = d.id AND deleted_at IS NULL AND NOT incoming
                         ORDER BY created_at DESC LIMIT 1) v ON true
      WHERE d.deleted_at IS NULL`);
    return rows.map((r) => ({
      tenant: r.tenant!,
      database: r.name!,
      databaseId: r.id!,
      engine: r.engine!,
      host: r.host ?? '',
      status: r.status!,
      ha: r.ha!,
      volumeUsedBytes: r.used_bytes === null ? null : Number(r.used_bytes),
      volumeSizeBytes: r.size_gb === null ? null : Number(r.size_gb) * 2 ** 30,
      volumeDriver: r.driver,
      quotaState: r.quota_state as DatabaseSeries['quotaState'],
    }));
  }

  async containerSeries(): Promise<ContainerSeries[]> {
    const rows: (DatabaseSampleRow & { tenant: string; database: string; engine: string; host: string })[] = await this
      .ds.query(`
        SELECT s.*, t.name AS tenant, d.name AS database, d.engine, h.name AS host
        FROM database_samples s
        JOIN databases d ON d.id = s.database_id AND d.deleted_at IS NULL
        JOIN tenants t ON t.id = d.tenant_id
        JOIN hosts h ON h.id = s.host_id`);
    return rows.map((r) => ({
      sample: {
        databaseId: r.database_id,
        hostId: r.host_id,
        cpuCores: Number(r.cpu_cores),
        cpuSecondsTotal: Number(r.cpu_seconds_total),
        memoryBytes: Number(r.memory_bytes),
        memoryLimitBytes: Number(r.memory_limit_bytes),
        netRxBytes: Number(r.net_rx_bytes),
        netTxBytes: Number(r.net_tx_bytes),
        blkReadBytes: Number(r.blk_read_bytes),
        blkWriteBytes: Number(r.blk_write_bytes),
        sampledAt: new Date(r.sampled_at),
      },
      tenant: r.tenant,
      database: r.database,
      databaseId: r.database_id,
      engine: r.engine,
      host: r.host,
    }));
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

@Injectable()
export class TypeOrmSampleRepository implements SampleRepository {
  constructor(
    @InjectRepository(DatabaseSampleEntity) private readonly repo: Repository<DatabaseSampleEntity>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  async upsert(samples: DatabaseSampleEntity[]): Promise<void> {
    if (samples.length) await this.repo.upsert(samples, ['databaseId']);
  }

  async prune(): Promise<number> {
    const res = await this.ds.query(
      `DELETE FROM database_samples s USING databases d
       WHERE d.id = s.database_id AND (d.deleted_at IS NOT NULL OR d.host_id IS DISTINCT FROM s.host_id)`,
    );
    return Number(res?.[1] ?? 0);
  }

  list(): Promise<DatabaseSampleEntity[]> {
    return this.repo.find();
  }
}

@Injectable()
export class TypeOrmPlacementSettingsRepository implements PlacementSettingsRepository {
  constructor(@InjectRepository(PlacementSettingsEntity) private readonly repo: Repository<PlacementSettingsEntity>) {}

  async get(): Promise<PlacementSettingsEntity> {
    // The migration inserts the row; a missing one means defaults (a restored dump, say), written back here.
    const row = await this.repo.findOneBy({ id: 1 });
    if (row) return row;
    await this.repo.query(`INSERT INTO placement_settings (id) VALUES (1) ON CONFLICT DO NOTHING`);
    return (await this.repo.findOneBy({ id: 1 }))!;
  }

  async update(patch: Partial<Omit<PlacementSettingsEntity, 'id' | 'updatedAt'>>): Promise<PlacementSettingsEntity> {
    await this.get();
    await this.repo.update({ id: 1 }, patch);
    return this.get();
  }
}
