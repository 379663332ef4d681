import { Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { MongoClient } from 'mongodb';
import { createConnection } from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import type { EngineClient, EngineCredentials, EngineEndpoint } from '@app/domain/ports';

// Generous: a refused connection fails at once anyway, while a slow path (an SSH forward to a busy host,
// emulated CPUs) can take seconds to authenticate.
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Each engine's real client library, used from the control plane: readiness means a tenant's client could
 * authenticate and run a command at the endpoint, not just that a port is open.
 */
@Injectable()
export class NativeEngineClient implements EngineClient {
  async ping(engine: string, ep: EngineEndpoint, c: EngineCredentials): Promise<void> {
    switch (engine) {
      case 'postgresql':
        return this.withPg(ep, c, async (pg) => void (await pg.query('SELECT 1')));
      case 'mysql':
      case 'mariadb':
        return this.withMysql(ep, c.username, c.password, async (my) => void (await my.query('SELECT 1')));
      case 'redis':
        return this.withRedis(ep, c.password, async (r) => {
          if ((await r.ping()) !== 'PONG') throw new Error('unexpected PING reply');
        });
      case 'mongodb':
        return this.withMongo(ep, c, async (m) => void (await m.db('admin').command({ ping: 1 })));
      default:
        throw new Error(`unknown engine ${engine}`);
    }
  }

  async setPassword(engine: string, ep: EngineEndpoint, c: EngineCredentials, next: string): Promise<void> {
    switch (engine) {
      case 'postgresql':
        // ALTER ROLE takes no bind parameters: quote with the driver's own escaping.
        return this.withPg(ep, c, async (pg) => {
          await pg.query(`ALTER ROLE ${pg.escapeIdentifier(c.username)} PASSWORD ${pg.escapeLiteral(next)}`);
        });
      case 'mysql':
      case 'mariadb':
        if (!c.adminPassword) throw new Error('no admin password recorded');
        return this.withMysql(ep, 'root', c.adminPassword, async (my) => {
          await my.query(`ALTER USER ?@'%' IDENTIFIED BY ?`, [c.username, next]);
        });
      case 'mongodb':
        return this.withMongo(ep, c, async (m) => {
          await m.db('admin').command({ updateUser: c.username, pwd: next });
        });
      default:
        throw new Error(`${engine} changes passwords by recreating its container`);
    }
  }

  private async withPg(ep: EngineEndpoint, c: EngineCredentials, fn: (pg: PgClient) => Promise<void>) {
    const pg = new PgClient({
      host: ep.host,
      port: ep.port,
      user: c.username,
      password: c.password,
      database: c.dbName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    pg.on('error', () => undefined);
    try {
      await pg.connect();
      await fn(pg);
    } finally {
      await pg.end().catch(() => undefined);
    }
  }

  private async withMysql(
    ep: EngineEndpoint,
    user: string,
    password: string,
    fn: (my: Awaited<ReturnType<typeof createConnection>>) => Promise<void>,
  ) {
    const my = await createConnection({
      host: ep.host,
      port: ep.port,
      user,
      password,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    try {
      await fn(my);
    } finally {
      await my.end().catch(() => undefined);
    }
  }

  private async withRedis(ep: EngineEndpoint, password: string, fn: (r: Redis) => Promise<void>) {
    const r = new Redis({
      host: ep.host,
      port: ep.port,
      password,
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await fn(r);
    } finally {
      r.disconnect();
    }
  }

  private async withMongo(ep: EngineEndpoint, c: EngineCredentials, fn: (m: MongoClient) => Promise<void>) {
    const m = new MongoClient(`mongodb://${ep.host}:${ep.port}/?authSource=admin`, {
      auth: { username: c.username, password: c.password },
      serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      directConnection: true,
    });
    try {
      await m.connect();
      await fn(m);
    } finally {
      await m.close().catch(() => undefined);
    }
  }
}
