import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, LessThan, In, Not, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type {
  ApiKeyRepository,
  CertificateAuthorityRepository,
  EventRepository,
  HostRepository,
  HostReservation,
  HostUsage,
  OperationRepository,
  PlanRepository,
  TenantRepository,
  VolumeRepository,
} from '@app/domain/ports';
import {
  ApiKeyEntity,
  ApiKeyKind,
  CertificateAuthorityEntity,
  EventEntity,
  HostEntity,
  HostStatus,
  OperationEntity,
  OperationStatus,
  PlanEntity,
  TenantEntity,
  TransferProgress,
  VolumeEntity,
} from '../entities';
import { readHidden } from './hidden-column';

@Injectable()
export class TypeOrmTenantRepository implements TenantRepository {
  constructor(@InjectRepository(TenantEntity) private readonly repo: Repository<TenantEntity>) {}
  create(name: string) {
    return this.repo.save(this.repo.create({ name }));
  }
  list() {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  findByName(name: string) {
    return this.repo.findOneBy({ name });
  }
  getSealedBackupKey(id: string) {
    return readHidden(this.repo, id, 'backupKey');
  }
  async setSealedBackupKeyIfNone(id: string, sealed: string) {
    // The first writer wins: two first backups racing end with one key.
    await this.repo.update({ id, backupKey: IsNull() }, { backupKey: sealed });
  }
}

@Injectable()
export class TypeOrmApiKeyRepository implements ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {}
  create(key: { kind: ApiKeyKind; tenantId: string | null; name: string; prefix: string; keyHash: string }) {
    return this.repo.save(this.repo.create(key));
  }
  findActiveByHash(keyHash: string) {
    return this.repo.findOneBy({ keyHash, revokedAt: IsNull() });
  }
  listForTenant(tenantId: string) {
    return this.repo.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }
  listOperators() {
    return this.repo.find({ where: { kind: 'operator' }, order: { createdAt: 'ASC' } });
  }
  async revoke(id: string, tenantId: string | null) {
    // An operator key has no tenant: `tenant_id = NULL` would match nothing, IS NULL does.
    const owner =
      tenantId === null ? { kind: 'operator' as const, tenantId: IsNull() } : { kind: 'tenant' as const, tenantId };
    const res = await this.repo.update({ id, ...owner, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (res.affected ?? 0) > 0;
  }
  async ensureOperatorKey(name: string, prefix: string, keyHash: string) {
    await this.repo
      .createQueryBuilder()
      .insert()
      .values({ kind: 'operator', tenantId: null, name, prefix, keyHash })
      .orIgnore()
      .execute();
  }
}

@Injectable()
export class TypeOrmPlanRepository implements PlanRepository {
  constructor(@InjectRepository(PlanEntity) private readonly repo: Repository<PlanEntity>) {}
  list() {
    return this.repo.find({ order: { cpus: 'ASC', memoryMb: 'ASC' } });
  }
  findByName(name: string) {
    return this.repo.findOneBy({ name });
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
}

@Injectable()
export class TypeOrmHostRepository implements HostRepository {
  constructor(
    @InjectRepository(HostEntity) private readonly repo: Repository<HostEntity>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}
  create(host: Omit<HostEntity, 'id' | 'createdAt' | 'updatedAt' | 'lastSeenAt'>) {
    return this.repo.save(this.repo.create(host));
  }
  list() {
    return this.repo.find({ order: { name: 'ASC' } });
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  findByName(name: string) {
    return this.repo.findOneBy({ name });
  }
  getSealedKey(id: string) {
    return readHidden(this.repo, id, 'sshPrivateKey');
  }
  async idsWithKey() {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM hosts WHERE ssh_private_key IS NOT NULL`);
    return new Set(rows.map((r) => r.id));
  }
  async update(id: string, patch: Partial<HostEntity>) {
    await this.repo.update({ id }, patch);
  }
  async pinHostKey(id: string, fingerprint: string, firstContact: boolean) {
    const res = await this.repo.update(firstContact ? { id, hostKeyFingerprint: IsNull() } : { id }, {
      hostKeyFingerprint: fingerprint,
      hostKeyPinnedBy: firstContact ? 'first-contact' : 'operator',
    });
    return (res.affected ?? 0) > 0;
  }
  async transition(id: string, from: HostStatus[], to: HostStatus, reason: string | null) {
    // Let back in: the failover worker's grace period starts again, and it must see the host healthy anew.
    const since = to === 'active' && !from.includes('active') ? { activeSince: new Date() } : {};
    const res = await this.repo.update({ id, status: In(from) }, { status: to, statusReason: reason, ...since });
    return (res.affected ?? 0) > 0;
  }
  async delete(id: string) {
    await this.repo.delete({ id });
  }
  async usage(): Promise<HostUsage[]> {
    // What is promised on each host: the plans of its live databases and of those on their way there.
    const rows: { host_id: string; n: string; cpus: string; memory_mb: string; disk_gb: string }[] = await this.ds
      .query(`
      WITH placed AS (
        SELECT d.host_id, d.id, d.plan_id FROM databases d WHERE d.deleted_at IS NULL AND d.host_id IS NOT NULL
        UNION
        ${RESERVATIONS_SQL}
      )
      SELECT x.host_id, count(*) AS n, sum(p.cpus) AS cpus, sum(p.memory_mb) AS memory_mb, sum(p.disk_gb) AS disk_gb
      FROM placed x JOIN plans p ON p.id = x.plan_id
      GROUP BY x.host_id`);
    return rows.map((r) => ({
      hostId: r.host_id,
      databases: Number(r.n),
      cpus: Number(r.cpus),
      memoryMb: Number(r.memory_mb),
      diskGb: Number(r.disk_gb),
    }));
  }
  async reservations(): Promise<HostReservation[]> {
    const rows: { host_id: string; id: string; plan_id: string }[] = await this.ds.query(RESERVATIONS_SQL);
    return rows.map((r) => ({ hostId: r.host_id, databaseId: r.id, planId: r.plan_id }));
  }
}

// A database on its way to a host holds room there from the moment the target is chosen (under the placement
// lock) until it lives there: the target of a move operation, or of a failover, not finished yet.
const RESERVATIONS_SQL = `
  SELECT f.to_host_id AS host_id, d.id, d.plan_id
  FROM failovers f JOIN databases d ON d.id = f.database_id
  WHERE f.status = 'running' AND f.to_host_id IS NOT NULL AND d.deleted_at IS NULL
    AND d.host_id IS DISTINCT FROM f.to_host_id
  UNION
  SELECT (o.params->>'targetHostId')::uuid AS host_id, d.id, d.plan_id
  FROM operations o JOIN databases d ON d.id = o.database_id
  WHERE o.type = 'move-database' AND o.status IN ('queued', 'running') AND o.params ? 'targetHostId'
    AND d.deleted_at IS NULL AND d.host_id IS DISTINCT FROM (o.params->>'targetHostId')::uuid`;

@Injectable()
export class TypeOrmVolumeRepository implements VolumeRepository {
  constructor(@InjectRepository(VolumeEntity) private readonly repo: Repository<VolumeEntity>) {}
  forDatabase(databaseId: string) {
    return this.repo.findOne({ where: { databaseId, incoming: false }, order: { createdAt: 'DESC' } });
  }
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  createIncoming(v: Pick<VolumeEntity, 'databaseId' | 'hostId' | 'driver' | 'sizeGb'>) {
    return this.repo.save(this.repo.create({ ...v, incoming: true }));
  }
  async cutOver(oldId: string, newId: string) {
    await this.repo.manager.transaction(async (tx) => {
      await tx.update(VolumeEntity, { id: oldId }, { deletedAt: new Date() });
      await tx.update(VolumeEntity, { id: newId }, { incoming: false });
    });
  }
  forDatabases(databaseIds: string[]) {
    return databaseIds.length
      ? this.repo.find({ where: { databaseId: In(databaseIds), deletedAt: IsNull() } })
      : Promise.resolve([]);
  }
  listLive() {
    return this.repo.find({ where: { deletedAt: IsNull() } });
  }
  listMirroredOn(hostId: string) {
    return this.repo.find({ where: { peerHostId: hostId, deletedAt: IsNull() } });
  }
  countOnLun(lunId: string, exceptVolumeId: string) {
    return this.repo.count({ where: { lunId, deletedAt: IsNull(), id: Not(exceptVolumeId) } });
  }
  getSealedDrbdSecret(id: string) {
    return readHidden(this.repo, id, 'drbdSecret');
  }
  async setSealedDrbdSecretIfNone(id: string, sealed: string) {
    // The first writer wins: two renders racing end with one secret on both peers.
    await this.repo.update({ id, drbdSecret: IsNull() }, { drbdSecret: sealed });
  }
  async update(id: string, patch: Partial<VolumeEntity>) {
    await this.repo.update({ id }, patch);
  }
}

@Injectable()
export class TypeOrmOperationRepository implements OperationRepository {
  constructor(@InjectRepository(OperationEntity) private readonly repo: Repository<OperationEntity>) {}
  get(id: string) {
    return this.repo.findOneBy({ id });
  }
  getForTenant(id: string, tenantId: string) {
    return this.repo.findOneBy({ id, tenantId });
  }
  list(filter: { status?: OperationStatus; databaseId?: string; limit: number }) {
    return this.repo.find({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.databaseId ? { databaseId: filter.databaseId } : {}),
      },
      order: { createdAt: 'DESC' },
      take: filter.limit,
    });
  }
  async markRunning(id: string, attempt: number) {
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ status: 'running', attempts: attempt, startedAt: () => 'coalesce(started_at, now())' })
      .where('id = :id AND status IN (:...s)', { id, s: ['queued', 'running'] })
      .execute();
  }
  async progress(id: string, progress: number, progressMessage: string, transfer?: TransferProgress) {
    const patch = { progress, progressMessage, ...(transfer ? { transfer } : {}) };
    await this.repo.update({ id, status: In(['queued', 'running']) }, patch as QueryDeepPartialEntity<OperationEntity>);
  }
  async setParams(id: string, params: Record<string, unknown>) {
    await this.repo.update({ id }, { params } as QueryDeepPartialEntity<OperationEntity>);
  }
  async succeed(id: string) {
    // An operation the reconciler already ended (its job was given up on) stays ended.
    await this.repo.update(
      { id, status: In(['queued', 'running']) },
      { status: 'succeeded', progress: 100, error: null, finishedAt: new Date() },
    );
  }
  async fail(id: string, error: string) {
    await this.repo.update({ id }, { status: 'failed', error, finishedAt: new Date() });
  }
  async failUnfinished(id: string, error: string) {
    const res = await this.repo.update(
      { id, status: In(['queued', 'running']) },
      { status: 'failed', error, finishedAt: new Date() },
    );
    return (res.affected ?? 0) > 0;
  }
  listUnfinished(olderThanMs: number) {
    return this.repo.find({
      where: { status: In(['queued', 'running']), createdAt: LessThan(new Date(Date.now() - olderThanMs)) },
      order: { createdAt: 'ASC' },
      take: 500,
    });
  }
  async countByTypeAndStatus() {
    const rows: { type: string; status: string; count: string }[] = await this.repo
      .createQueryBuilder('o')
      .select('o.type', 'type')
      .addSelect('o.status', 'status')
      .addSelect('count(*)', 'count')
      .groupBy('o.type')
      .addGroupBy('o.status')
      .getRawMany();
    return rows.map((r) => ({ type: r.type, status: r.status, count: Number(r.count) }));
  }
}

@Injectable()
export class TypeOrmEventRepository implements EventRepository {
  constructor(@InjectRepository(EventEntity) private readonly repo: Repository<EventEntity>) {}
  async record(event: Partial<EventEntity> & { type: string; message: string }) {
    await this.repo.insert(event as QueryDeepPartialEntity<EventEntity>);
  }
  list(filter: { databaseId?: string; hostId?: string; type?: string; limit: number }) {
    return this.repo.find({
      where: {
        ...(filter.databaseId ? { databaseId: filter.databaseId } : {}),
        ...(filter.hostId ? { hostId: filter.hostId } : {}),
        ...(filter.type ? { type: filter.type } : {}),
      },
      order: { createdAt: 'DESC' },
      take: filter.limit,
    });
  }
  countByType(type: string) {
    return this.repo.countBy({ type });
  }
}

@Injectable()
export class TypeOrmCertificateAuthorityRepository implements CertificateAuthorityRepository {
  constructor(
    @InjectRepository(CertificateAuthorityEntity) private readonly repo: Repository<CertificateAuthorityEntity>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}
  current() {
    return this.repo.createQueryBuilder('c').addSelect('c.keySealed').where(`c.state = 'current'`).getOne();
  }
  async list() {
    const rows = await this.repo.find({ order: { createdAt: 'DESC' } });
    // The current CA first (a handful of rows: sorted here rather than by an expression in SQL).
    return [...rows.filter((c) => c.state === 'current'), ...rows.filter((c) => c.state !== 'current')];
  }
  async insertIfAbsent(ca: { name: string; certPem: string; keySealed: string; notAfter: Date }) {
    // Two processes starting at once may both make one: the first insert wins (by name, or as the one current CA),
    // the other reads it back.
    await this.repo.createQueryBuilder().insert().values(ca).orIgnore().execute();
  }
  async rotate(next: { name: string; certPem: string; keySealed: string; notAfter: Date }, reissueAt: Date | null) {
    await this.ds.transaction(async (tx) => {
      // Serialises rotations: the second one finds the first one's CA current and puts it in turn beside the others.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('dbaas:certificate-authorities'))`);
      await tx.query(
        `UPDATE certificate_authorities SET state = 'previous', rotated_at = now(), reissue_at = $1
          WHERE state = 'current'`,
        [reissueAt],
      );
      await tx.insert(CertificateAuthorityEntity, { ...next, state: 'current' });
    });
  }
  async reissuePrevious(at: Date) {
    const res = await this.repo
      .createQueryBuilder()
      .update()
      .set({ reissueAt: () => 'LEAST(COALESCE(reissue_at, :at), :at)' })
      .setParameter('at', at)
      .where(`state = 'previous'`)
      .execute();
    return res.affected ?? 0;
  }
  async retire(name: string) {
    const res = await this.repo.update(
      { name, state: 'previous' },
      { state: 'retired', retiredAt: new Date(), keySealed: null },
    );
    return (res.affected ?? 0) > 0;
  }
}
