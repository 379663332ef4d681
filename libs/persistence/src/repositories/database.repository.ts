import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, QueryFailedError, Repository } from 'typeorm';
import type { DatabaseRepository, NewDatabase } from '@app/domain/ports';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import { DatabaseEntity, DatabaseStatus, OperationEntity, OperationType, VolumeEntity } from '../entities';
import { intToIp } from '@app/config';

const isUniqueViolation = (err: unknown, index: string) =>
  err instanceof QueryFailedError &&
  (err.driverError as { code?: string; constraint?: string })?.code === '23505' &&
  (err.driverError as { constraint?: string }).constraint === index;

@Injectable()
export class TypeOrmDatabaseRepository implements DatabaseRepository {
  constructor(
    @InjectRepository(DatabaseEntity) private readonly repo: Repository<DatabaseEntity>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  async createWithOperation(input: NewDatabase) {
    // Two creations may pick the same free port at once; the unique index makes one of them try the next.
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        return await this.ds.transaction(async (tx) => {
          const port = await this.freePort(tx, input.hostId, input.portRange);
          const vip = input.vipPool ? await this.freeVip(tx, input.vipPool) : null;
          const drbdMinor = input.peerHostId ? await this.freeMinor(tx) : null;
          const database = await tx.save(
            tx.create(DatabaseEntity, {
              tenantId: input.tenantId,
              name: input.name,
              engine: input.engine,
              version: input.version,
              planId: input.planId,
              ha: input.ha,
              status: 'provisioning' as DatabaseStatus,
              hostId: input.hostId,
              port,
              vip,
              username: input.username,
              dbName: input.dbName,
              password: input.password,
              adminPassword: input.adminPassword,
              privilegeModel: input.privilegeModel ?? 'owner',
              origin: input.origin ?? null,
              allowedCidrs: input.allowedCidrs ?? [],
              ...(input.tls ? { tls: input.tls } : {}),
            }),
          );
          await tx.save(
            tx.create(VolumeEntity, {
              databaseId: database.id,
              hostId: input.hostId,
              driver: input.driver,
              sizeGb: input.sizeGb,
              ha: input.ha,
              peerHostId: input.peerHostId ?? null,
              drbdMinor,
            }),
          );
          const operation = await tx.save(
            tx.create(OperationEntity, {
              type: input.operationType ?? 'create-database',
              status: 'queued',
              tenantId: input.tenantId,
              databaseId: database.id,
              hostId: input.hostId,
            }),
          );
          return { database, operation };
        });
      } catch (err) {
        if (isUniqueViolation(err, 'databases_tenant_name_live')) {
          throw new DatabaseException(
            DatabaseExceptionCode.NameTaken,
            `a database named "${input.name}" already exists`,
          );
        }
        if (
          isUniqueViolation(err, 'databases_host_port_live') ||
          isUniqueViolation(err, 'databases_vip_live') ||
          isUniqueViolation(err, 'volumes_drbd_minor_live')
        )
          continue;
        throw err;
      }
    }
    throw new DatabaseException(DatabaseExceptionCode.NoCapacity, 'no free port on the chosen host');
  }

  async moveTo(databaseId: string, hostId: string, portRange: { from: number; to: number }): Promise<number> {
    return this.onFreePort('no free port on the target host', async (tx) => {
      const db = await tx.findOne(DatabaseEntity, { where: { id: databaseId } });
      if (db?.hostId === hostId && db.port) return db.port;
      const port = await this.freePort(tx, hostId, portRange);
      await tx.update(DatabaseEntity, { id: databaseId }, { hostId, port });
      return port;
    });
  }

  async repickPort(databaseId: string, portRange: { from: number; to: number }, avoid: number[]): Promise<number> {
    return this.onFreePort('no free port on the host', async (tx) => {
      const db = await tx.findOneOrFail(DatabaseEntity, { where: { id: databaseId } });
      const port = await this.freePort(tx, db.hostId!, portRange, avoid);
      await tx.update(DatabaseEntity, { id: databaseId }, { port });
      return port;
    });
  }

  /** Runs `pick` in a transaction; two writers may choose the same free port: the unique index makes one retry. */
  private async onFreePort(exhausted: string, pick: (tx: EntityManager) => Promise<number>): Promise<number> {
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        return await this.ds.transaction(pick);
      } catch (err) {
        if (isUniqueViolation(err, 'databases_host_port_live')) continue;
        throw err;
      }
    }
    throw new DatabaseException(DatabaseExceptionCode.NoCapacity, exhausted);
  }

  private async freePort(
    tx: EntityManager,
    hostId: string,
    range: { from: number; to: number },
    avoid: number[] = [],
  ): Promise<number> {
    const rows: { port: number }[] = await tx.query(
      `SELECT port FROM databases WHERE host_id = $1 AND deleted_at IS NULL AND port IS NOT NULL ORDER BY port`,
      [hostId],
    );
    const used = new Set([...rows.map((r) => r.port), ...avoid]);
    // Start at a random offset so concurrent creations rarely collide on the same port.
    const span = range.to - range.from + 1;
    const start = Math.floor(Math.random() * Math.min(span, 64));
    for (let i = 0; i < span; i++) {
      const port = range.from + ((start + i) % span);
      if (!used.has(port)) return port;
    }
    throw new DatabaseException(DatabaseExceptionCode.NoCapacity, 'the host has no free port left');
  }

  private async freeVip(tx: EntityManager, pool: { first: number; last: number }): Promise<string> {
    const rows: { vip: string }[] = await tx.query(
      `SELECT vip FROM databases WHERE deleted_at IS NULL AND vip IS NOT NULL`,
    );
    const used = new Set(rows.map((r) => r.vip));
    const span = pool.last - pool.first + 1;
    const start = Math.floor(Math.random() * Math.min(span, 16));
    for (let i = 0; i < span; i++) {
      const ip = intToIp(pool.first + ((start + i) % span));
      if (!used.has(ip)) return ip;
    }
    throw new DatabaseException(DatabaseExceptionCode.NoCapacity, 'the HA address pool is exhausted');
  }

  private async freeMinor(tx: EntityManager): Promise<number> {
    // DRBD minors (and the replication port derived from each) are unique fleet-wide, so no two resources clash on
    // any host; the lowest free one keeps numbers small.
    const [{ minor }] = await tx.query(`
      SELECT coalesce(min(m), 0) AS minor FROM generate_series(0, 4095) m
      WHERE m NOT IN (SELECT drbd_minor FROM volumes WHERE deleted_at IS NULL AND drbd_minor IS NOT NULL)`);
    return Number(minor);
  }

  async startOperation(
    databaseId: string,
    type: OperationType,
    opts: {
      status?: DatabaseStatus;
      params?: Record<string, unknown>;
      supersede?: boolean;
      allowedFrom?: DatabaseStatus[];
      patch?: Pick<Partial<DatabaseEntity>, 'allowedCidrs'>;
    },
  ) {
    return this.ds.transaction(async (tx) => {
      // The row lock orders concurrent requests on the same database.
      const db = await tx.findOne(DatabaseEntity, { where: { id: databaseId }, lock: { mode: 'pessimistic_write' } });
      if (!db) throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
      const inFlight = await tx.findOne(OperationEntity, {
        where: { databaseId, status: In(['queued', 'running']) },
        order: { createdAt: 'DESC' },
      });
      // Asking twice for the same superseding change (a second DELETE) returns the first request's operation.
      if (inFlight && opts.supersede && inFlight.type === type) return { operation: inFlight };
      if (inFlight && !(opts.supersede && inFlight.type !== type)) return { busy: inFlight };
      // After the in-flight check: "operation X is running" says more than "it is provisioning".
      if (opts.allowedFrom && !opts.allowedFrom.includes(db.status)) return { badState: db.status };
      const operation = await tx.save(
        tx.create(OperationEntity, {
          type,
          status: 'queued',
          tenantId: db.tenantId,
          databaseId,
          hostId: db.hostId,
          params: opts.params ?? {},
        }),
      );
      const patch = { ...opts.patch, ...(opts.status ? { status: opts.status } : {}) };
      if (Object.keys(patch).length) await tx.update(DatabaseEntity, { id: databaseId }, patch);
      return { operation };
    });
  }

  get(id: string) {
    return this.repo.findOneBy({ id });
  }

  getForTenant(id: string, tenantId: string) {
    return this.repo.findOneBy({ id, tenantId, deletedAt: IsNull() });
  }

  async getSecrets(id: string) {
    const row = await this.repo
      .createQueryBuilder('d')
      .select(['d.id'])
      .addSelect(['d.password', 'd.adminPassword', 'd.tlsKey'])
      .where('d.id = :id', { id })
      .getOne();
    return { password: row?.password ?? null, adminPassword: row?.adminPassword ?? null, tlsKey: row?.tlsKey ?? null };
  }

  list(filter: { tenantId?: string; hostId?: string; status?: string; engine?: string }) {
    return this.repo.find({
      where: {
        deletedAt: IsNull(),
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
        ...(filter.hostId ? { hostId: filter.hostId } : {}),
        ...(filter.status ? { status: filter.status as DatabaseStatus } : {}),
        ...(filter.engine ? { engine: filter.engine as DatabaseEntity['engine'] } : {}),
      },
      order: { createdAt: 'ASC' },
    });
  }

  async update(id: string, patch: Partial<DatabaseEntity>) {
    await this.repo.update({ id }, patch);
  }

  async markDeleted(id: string) {
    await this.repo.update(
      { id },
      {
        status: 'deleted',
        deletedAt: new Date(),
        password: null,
        adminPassword: null,
        tlsKey: null,
      },
    );
  }
}
