import { Injectable } from '@nestjs/common';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import Redis from 'ioredis';
import { MongoClient } from 'mongodb';
import { createConnection } from 'mysql2/promise';
import type {
  EngineClient,
  EngineEndpoint,
  EngineLogin,
  OwnerModelRequest,
  ReadOnlyRequest,
  TenantAccount,
} from '@app/domain/ports';
import { CONNECT_TIMEOUT_MS, pgApplyOwnerModel, pgSetReadOnly, tlsOptions, withPg } from './postgres-accounts';

type MysqlConnection = Awaited<ReturnType<typeof createConnection>>;

/**
 * Each engine's real client library, used from the control plane: readiness means a client could authenticate and
 * run a command at the endpoint, not just that a port is open; accounts are changed in the engine's own terms.
 */
@Injectable()
export class NativeEngineClient implements EngineClient {
  async ping(engine: string, ep: EngineEndpoint, login: EngineLogin): Promise<void> {
    switch (engine) {
      case 'postgresql':
        return withPg(ep, login, async (pg) => void (await pg.query('SELECT 1')));
      case 'mysql':
      case 'mariadb':
        return this.withMysql(ep, login, async (my) => void (await my.query('SELECT 1')));
      case 'redis':
        return this.withRedis(ep, login, async (r) => {
          if ((await r.ping()) !== 'PONG') throw new Error('unexpected PING reply');
        });
      case 'mongodb':
        return this.withMongo(ep, login, async (m) => void (await m.db('admin').command({ ping: 1 })));
      default:
        throw new Error(`unknown engine ${engine}`);
    }
  }

  async applyOwnerModel(engine: string, ep: EngineEndpoint, req: OwnerModelRequest): Promise<string[]> {
    switch (engine) {
      case 'postgresql':
        return pgApplyOwnerModel(ep, req);
      case 'mysql':
      case 'mariadb':
        // root exists under both models: a legacy database converts like any other.
        return this.withMysql(ep, req.admin, (my) => mysqlOwnerModel(my, req.tenant));
      case 'mongodb':
        return this.mongoOwnerModel(ep, req);
      default:
        throw new Error(`${engine} keeps its accounts in its container's definition`);
    }
  }

  async setReadOnly(
    engine: string,
    ep: EngineEndpoint,
    req: ReadOnlyRequest,
  ): Promise<'unchanged' | 'changed' | 'restart'> {
    switch (engine) {
      case 'postgresql':
        return pgSetReadOnly(ep, req);
      case 'mysql':
      case 'mariadb':
        // The tenant has no SUPER (nor READ_ONLY ADMIN): read_only binds it, and only root lifts it.
        return this.withMysql(ep, req.admin, async (my) => {
          const [rows] = (await my.query('SELECT @@global.read_only AS ro')) as unknown as [{ ro: number | string }[]];
          if (Number(rows[0]?.ro) === (req.readOnly ? 1 : 0)) return 'unchanged';
          await my.query(`SET GLOBAL read_only = ${req.readOnly ? 'ON' : 'OFF'}`);
          return 'changed';
        });
      case 'redis':
        return this.redisReadOnly(ep, req);
      case 'mongodb':
        return this.withMongo(ep, req.admin, async (m) => {
          const admin = m.db('admin');
          const info = (await admin.command({ usersInfo: req.tenant.username })) as {
            users: { roles: { role: string; db: string }[] }[];
          };
          const role = req.readOnly ? 'read' : 'dbOwner';
          const roles = info.users[0]?.roles ?? [];
          if (roles.length === 1 && roles[0].role === role && roles[0].db === req.tenant.dbName) return 'unchanged';
          await admin.command({ updateUser: req.tenant.username, roles: [{ role, db: req.tenant.dbName }] });
          return 'changed';
        });
      default:
        throw new Error(`unknown engine ${engine}`);
    }
  }

  async reloadTls(
    engine: string,
    ep: EngineEndpoint,
    admin: EngineLogin,
    files: { cert: string; key: string },
  ): Promise<void> {
    switch (engine) {
      case 'postgresql':
        // The postmaster reads postgresql.conf, pg_hba and the certificate files again; new sessions get them.
        return withPg(ep, admin, async (pg) => {
          const { rows } = await pg.query<{ ok: boolean }>('SELECT pg_reload_conf() AS ok');
          if (!rows[0]?.ok) throw new Error('pg_reload_conf() returned false');
        });
      case 'mariadb':
        return this.withMysql(ep, admin, async (my) => void (await my.query('FLUSH SSL')));
      case 'mysql':
        return this.withMysql(ep, admin, async (my) => void (await my.query('ALTER INSTANCE RELOAD TLS')));
      case 'redis':
        // Setting a TLS file, even to the same path, makes Redis load the files again (new connections only).
        return this.withRedis(ep, admin, async (r) => {
          const res = await r.call('CONFIG', 'SET', 'tls-cert-file', files.cert, 'tls-key-file', files.key);
          if (res !== 'OK') throw new Error(`CONFIG SET answered ${String(res)}`);
        });
      case 'mongodb':
        return this.withMongo(ep, admin, async (m) => void (await m.db('admin').command({ rotateCertificates: 1 })));
      default:
        throw new Error(`unknown engine ${engine}`);
    }
  }

  /**
   * Redis: the tenant's ACL user gets its rules again, then (read-only) loses every @write command but those that
   * free room (DEL, UNLINK, FLUSHDB, FLUSHALL). ACL changes bind its open connections at their next command; it has
   * no ACL command of its own (@admin) to undo them.
   */
  private async redisReadOnly(ep: EngineEndpoint, req: ReadOnlyRequest): Promise<'unchanged' | 'changed'> {
    if (!req.tenantRules?.length) throw new Error("the tenant user's ACL rules are needed");
    const rules = [
      ...req.tenantRules,
      ...(req.readOnly ? ['-@write', '+del', '+unlink', '+flushdb', '+flushall'] : []),
    ];
    let changed = false;
    await this.withRedis(ep, req.admin, async (r) => {
      const commands = async () => JSON.stringify(await r.call('ACL', 'GETUSER', req.tenant.username));
      const before = await commands();
      await r.call('ACL', 'SETUSER', req.tenant.username, ...rules);
      changed = before !== (await commands());
    });
    return changed ? 'changed' : 'unchanged';
  }

  private async withMysql<T>(ep: EngineEndpoint, login: EngineLogin, fn: (my: MysqlConnection) => Promise<T>) {
    // mysql2 checks no name when it dials an IP address (nor the endpoint's name through an SSH forward): the
    // chain is checked in the handshake, the name right after it, before any query.
    const my = await createConnection({
      host: ep.host,
      port: ep.port,
      user: login.username,
      password: login.password,
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...(ep.tls ? { ssl: { ca: ep.tls.ca, rejectUnauthorized: true, verifyIdentity: false } } : {}),
    });
    try {
      if (ep.tls) {
        const socket = (my as unknown as { connection: { stream: TLSSocket } }).connection.stream;
        const mismatch = checkServerIdentity(ep.tls.serverName, socket.getPeerCertificate() as PeerCertificate);
        if (mismatch) throw mismatch;
      }
      return await fn(my);
    } finally {
      await my.end().catch(() => undefined);
    }
  }

  private async withRedis(ep: EngineEndpoint, login: EngineLogin, fn: (r: Redis) => Promise<void>) {
    const r = new Redis({
      host: ep.host,
      port: ep.port,
      username: login.username,
      password: login.password,
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      ...(ep.tls ? { tls: tlsOptions(ep.tls) } : {}),
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await fn(r);
    } finally {
      r.disconnect();
    }
  }

  private async withMongo<T>(ep: EngineEndpoint, login: EngineLogin, fn: (m: MongoClient) => Promise<T>) {
    // Every account the platform knows lives in `admin` (the tenant's too, with roles on its own database).
    const m = new MongoClient(`mongodb://${ep.host}:${ep.port}/?authSource=admin`, {
      auth: { username: login.username, password: login.password },
      serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      directConnection: true,
      ...(ep.tls ? { tls: true, ...tlsOptions(ep.tls) } : {}),
    });
    try {
      await m.connect();
      return await fn(m);
    } finally {
      await m.close().catch(() => undefined);
    }
  }

  /**
   * MongoDB: the admin is a root user in `admin`; the tenant's user (in `admin`, so its URI keeps authSource=admin)
   * is dbOwner of its database and nothing else. Legacy: the tenant's user was root; it makes the admin first.
   */
  private async mongoOwnerModel(ep: EngineEndpoint, req: OwnerModelRequest): Promise<string[]> {
    const notes: string[] = [];
    const adminAnswers = await this.withMongo(ep, req.admin, async () => true).catch(() => false);
    if (!adminAnswers) {
      if (req.legacyPasswords === undefined) throw new Error(`the admin user ${req.admin.username} was refused`);
      let done = false;
      for (const password of req.legacyPasswords) {
        const login = { username: req.tenant.username, password, database: 'admin' };
        done = await this.withMongo(ep, login, async (m) => {
          await upsertMongoUser(m, req.admin.username, req.admin.password, [{ role: 'root', db: 'admin' }]);
          return true;
        }).catch(() => false);
        if (done) break;
      }
      if (!done) throw new Error('neither the admin user nor the tenant user of the legacy model answers');
      notes.push(`admin user ${req.admin.username} created`);
    }
    await this.withMongo(ep, req.admin, async (m) => {
      const roles = [{ role: 'dbOwner', db: req.tenant.dbName }];
      const was = await upsertMongoUser(m, req.tenant.username, req.tenant.password, roles);
      if (was.some((r) => r.role !== 'dbOwner' || r.db !== req.tenant.dbName))
        notes.push(
          `${req.tenant.username} is dbOwner of ${req.tenant.dbName} only (was ${was.map((r) => `${r.role}@${r.db}`).join(', ')})`,
        );
    });
    return notes;
  }
}

/** Creates the user in `admin` or sets its password and roles; returns the roles it had. */
async function upsertMongoUser(
  m: MongoClient,
  user: string,
  pwd: string,
  roles: { role: string; db: string }[],
): Promise<{ role: string; db: string }[]> {
  const admin = m.db('admin');
  const info = (await admin.command({ usersInfo: user })) as { users: { roles: { role: string; db: string }[] }[] };
  if (!info.users.length) {
    await admin.command({ createUser: user, pwd, roles });
    return [];
  }
  await admin.command({ updateUser: user, pwd, roles });
  return info.users[0].roles;
}

/**
 * MySQL and MariaDB, as root: the tenant's user (any host, `%`) has its password and ALL on its database's tables,
 * and nothing else: no global privilege (FILE, SUPER, PROCESS...), nothing on other schemas (mysql.*). Only what
 * is more is revoked, so its running sessions never see a moment without their grants.
 */
async function mysqlOwnerModel(my: MysqlConnection, t: TenantAccount): Promise<string[]> {
  const notes: string[] = [];
  await my.query(`CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`, [t.username, t.password]);
  await my.query(`ALTER USER ?@'%' IDENTIFIED BY ?`, [t.username, t.password]);
  const grantee = `'${t.username.replace(/'/g, "''")}'@'%'`;
  const [global] = (await my.query(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE <> 'USAGE'`,
    [grantee],
  )) as unknown as [{ p: string }[]];
  if (global.length) {
    await my.query(`REVOKE ALL PRIVILEGES ON *.* FROM ?@'%'`, [t.username]);
    notes.push(`global privileges revoked: ${global.map((g) => g.p).join(', ')}`);
  }
  // A database name in a grant is a pattern: `_` is escaped, as the official images do.
  const pattern = t.dbName.replace(/_/g, '\\_');
  const [schemas] = (await my.query(
    `SELECT DISTINCT TABLE_SCHEMA AS s FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?`,
    [grantee],
  )) as unknown as [{ s: string }[]];
  for (const { s } of schemas) {
    if (s === pattern || s === t.dbName) continue;
    await my.query(`REVOKE ALL PRIVILEGES ON ??.* FROM ?@'%'`, [s, t.username]);
    notes.push(`privileges on ${s} revoked`);
  }
  const [tables] = (await my.query(
    `SELECT DISTINCT TABLE_SCHEMA AS s, TABLE_NAME AS n FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ? AND TABLE_SCHEMA <> ?`,
    [grantee, t.dbName],
  )) as unknown as [{ s: string; n: string }[]];
  for (const { s, n } of tables) {
    await my.query(`REVOKE ALL PRIVILEGES ON ??.?? FROM ?@'%'`, [s, n, t.username]);
    notes.push(`privileges on ${s}.${n} revoked`);
  }
  await my.query(`GRANT ALL PRIVILEGES ON ??.* TO ?@'%'`, [pattern, t.username]);
  return notes;
}
