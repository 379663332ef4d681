import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import type { ContainerSpec } from '@app/domain/ports';
import {
  buildContainerSpec,
  containerName,
  hostPreparation,
  secretsDir,
} from '@app/domain/databases/runtime/container-spec';
import { specHash } from '@app/hosts/docker/docker-runtime';
import { pgTenantInit } from '@app/domain/engines';

const DB_ID = '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
const TENANT_ID = '11111111-2222-4333-8444-555555555555';

function db(patch: Partial<DatabaseEntity> = {}): DatabaseEntity {
  return {
    id: DB_ID,
    tenantId: TENANT_ID,
    engine: 'postgresql',
    version: '16',
    port: 20042,
    ...patch,
  } as DatabaseEntity;
}
const host = { id: 'h1', address: '192.0.2.10', dataRoot: '/srv/dbaas' } as HostEntity;
const plan = { name: 'small', cpus: 0.5, memoryMb: 512, diskGb: 10 } as PlanEntity;
const ctx = { username: 'app', password: 'Secr3tPw', dbName: 'app', adminPassword: 'Adm1nPw' };

describe('containerName', () => {
  test('is dbaas-<database id>', () => {
    assert.equal(containerName(DB_ID), `dbaas-${DB_ID}`);
  });
});

describe('buildContainerSpec', () => {
  test('postgresql: image, env, labels, port, binds, resources and the sandbox', () => {
    const spec = buildContainerSpec({ db: db(), host, plan, hostPath: `/var/lib/dbaas/volumes/v1`, ctx });
    assert.deepEqual(spec, {
      name: `dbaas-${DB_ID}`,
      image: 'docker.io/library/postgres:16',
      // No password in the env: the entrypoint reads it from the file the platform writes beside the data.
      env: {
        POSTGRES_USER: 'dbaas_admin',
        POSTGRES_DB: 'postgres',
        PGDATA: '/var/lib/postgresql/data/pgdata',
        POSTGRES_PASSWORD_FILE: '/run/secrets/dbaas/postgres_password',
      },
      cmd: undefined,
      labels: {
        'dbaas.database': DB_ID,
        'dbaas.tenant': TENANT_ID,
        'dbaas.engine': 'postgresql',
        'dbaas.plan': 'small',
      },
      containerPort: 5432,
      hostIp: '192.0.2.10',
      hostPort: 20042,
      binds: [
        { hostPath: '/var/lib/dbaas/volumes/v1', containerPath: '/var/lib/postgresql/data' },
        { hostPath: `/srv/dbaas/secrets/${DB_ID}`, containerPath: '/run/secrets/dbaas', readOnly: true },
        // The tenant's owner role, made by the entrypoint with the database (see pgTenantInit).
        {
          hostPath: `/srv/dbaas/secrets/${DB_ID}/tenant_init`,
          containerPath: '/docker-entrypoint-initdb.d/50-dbaas-tenant.sql',
          readOnly: true,
        },
      ],
      cpus: 0.5,
      memoryMb: 512,
      user: '999:999',
      capAdd: [],
      readOnlyRoot: true,
      tmpfs: {
        '/var/run/postgresql': 'rw,nosuid,nodev,noexec,size=16m,mode=2775,uid=999,gid=999',
        '/tmp': 'rw,nosuid,nodev,noexec,size=64m,mode=1777,uid=999,gid=999',
      },
      pidsLimit: 1024,
      ulimits: [
        { name: 'nofile', soft: 16384, hard: 16384 },
        { name: 'core', soft: 0, hard: 0 },
      ],
      network: `dbaas-t-${TENANT_ID}`,
    });
  });

  test('host preparation: the volume owned by the engine user, the passwords as 0600 files of its own', () => {
    const prep = hostPreparation({ db: db(), host, hostPath: '/var/lib/dbaas/volumes/v1', ctx });
    assert.deepEqual(prep, {
      volume: { path: '/var/lib/dbaas/volumes/v1', uid: 999, gid: 999 },
      secrets: {
        root: '/srv/dbaas/secrets',
        dir: `/srv/dbaas/secrets/${DB_ID}`,
        uid: 999,
        gid: 999,
        files: { postgres_password: 'Adm1nPw', tenant_init: pgTenantInit(ctx) },
      },
    });
    assert.equal(secretsDir(host, DB_ID), `/srv/dbaas/secrets/${DB_ID}`);
    for (const dataRoot of ['relative', '/a/../b', '/a b', '/x;y'])
      assert.throws(() => secretsDir({ ...host, dataRoot } as HostEntity, DB_ID), /unsafe data root/);
    assert.throws(() => secretsDir(host, '../x'), /not a uuid/);
  });

  test('postgresql: the tenant role at the first start, quoted, never in the server log; none for the legacy model', () => {
    assert.equal(
      pgTenantInit({ ...ctx, username: 'app', password: "it's\\x", dbName: 'my"db' }),
      'SET log_min_error_statement = panic;\n' +
        `CREATE ROLE "app" WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS CREATEDB INHERIT PASSWORD 'it''s\\x';\n` +
        'CREATE DATABASE "my""db" OWNER "app";\n',
    );
    // A tenant database named as initdb's own is handed over, not made again.
    assert.match(
      pgTenantInit({ ...ctx, username: 'app', dbName: 'postgres' }),
      /\nALTER DATABASE "postgres" OWNER TO "app";\n$/,
    );
    assert.throws(() => pgTenantInit({ ...ctx, password: 'a\0b' }), /NUL/);
    const legacy = { ...ctx, privilegeModel: 'legacy' as const };
    const spec = buildContainerSpec({ db: db(), host, plan, hostPath: '/d/v', ctx: legacy });
    assert.equal(spec.binds.length, 2);
    assert.equal(
      hostPreparation({ db: db(), host, hostPath: '/d/v', ctx: legacy }).secrets?.files.tenant_init,
      undefined,
    );
  });

  test('the plan says whether the container may open connections out (default: no)', () => {
    assert.equal(buildContainerSpec({ db: db(), host, plan, hostPath: '/d/v', ctx }).allowEgress, undefined);
    const p = (allowEgress: boolean) => ({ ...plan, allowEgress }) as PlanEntity;
    assert.equal(buildContainerSpec({ db: db(), host, plan: p(false), hostPath: '/d/v', ctx }).allowEgress, false);
    assert.equal(buildContainerSpec({ db: db(), host, plan: p(true), hostPath: '/d/v', ctx }).allowEgress, true);
  });

  test('mariadb and redis: their own user, tmpfs and secrets', () => {
    const maria = buildContainerSpec({
      db: db({ engine: 'mariadb', version: '10.11' }),
      host,
      plan,
      hostPath: '/d/v',
      ctx,
    });
    assert.deepEqual(maria.env, {
      MARIADB_USER: 'app',
      MARIADB_DATABASE: 'app',
      MARIADB_ROOT_PASSWORD_FILE: '/run/secrets/dbaas/mariadb_root_password',
      MARIADB_PASSWORD_FILE: '/run/secrets/dbaas/mariadb_password',
    });
    assert.deepEqual(Object.keys(maria.tmpfs ?? {}), ['/run/mysqld', '/tmp']);
    assert.equal(maria.user, '999:999');
    const redis = buildContainerSpec({
      db: db({ engine: 'redis', version: '7.0' }),
      host,
      plan,
      hostPath: '/d/v',
      ctx,
    });
    // Redis has no password file (its ACL is on the command line, hashed): no secrets bind.
    assert.deepEqual(redis.binds, [{ hostPath: '/d/v', containerPath: '/data' }]);
    assert.deepEqual(hostPreparation({ db: db({ engine: 'redis' }), host, hostPath: '/d/v', ctx }).secrets, null);
    assert.deepEqual(Object.keys(redis.tmpfs ?? {}), ['/tmp']);
  });

  test('redis: ACL users in cmd (hashed passwords), data dir /data, through a configured registry', () => {
    const spec = buildContainerSpec({
      db: db({ engine: 'redis', version: '7.2' }),
      host,
      plan,
      hostPath: '/d/v2',
      ctx: { ...ctx, username: 'default' },
      registry: 'mirror.local:5000',
    });
    assert.equal(spec.image, 'mirror.local:5000/library/redis:7.2');
    assert.deepEqual(spec.env, {});
    assert.deepEqual(spec.cmd?.slice(0, 7), [
      'redis-server',
      '--appendonly',
      'yes',
      '--dir',
      '/data',
      '--user',
      'default',
    ]);
    assert.ok(!spec.cmd?.join(' ').includes('Secr3tPw'), 'no password in clear');
    assert.deepEqual(spec.binds, [{ hostPath: '/d/v2', containerPath: '/data' }]);
    assert.equal(spec.containerPort, 6379);
  });

  test('an HA database: published on its VIP, never restarted by the engine, its network held beside it', () => {
    const ha = buildContainerSpec({ db: db({ vip: '10.99.0.200' }), host, plan, hostPath: '/d/v', ctx });
    assert.equal(ha.hostIp, '10.99.0.200');
    assert.equal(ha.restartPolicy, 'no');
    assert.equal(ha.netHolder, true);
    const single = buildContainerSpec({ db: db(), host, plan, hostPath: '/d/v', ctx });
    assert.equal(single.netHolder, undefined, 'a database without HA keeps its own network, as before');
    assert.equal(single.hostIp, host.address);
  });

  test('a database without an allocated port is refused', () => {
    assert.throws(() => buildContainerSpec({ db: db({ port: null }), host, plan, hostPath: '/d/v', ctx }), /no port/);
  });
});

describe('specHash', () => {
  const base: ContainerSpec = buildContainerSpec({ db: db(), host, plan, hostPath: '/d/v', ctx });

  test('is a stable 16-hex-char digest', () => {
    assert.match(specHash(base), /^[0-9a-f]{16}$/);
    assert.equal(specHash(base), specHash(structuredClone(base)));
  });

  test('env changes (e.g. a rotated in-database password) do NOT change it', () => {
    assert.equal(specHash({ ...base, env: { ...base.env, POSTGRES_PASSWORD: 'another' } }), specHash(base));
    assert.equal(specHash({ ...base, env: {} }), specHash(base));
  });

  test('label changes do NOT change it', () => {
    assert.equal(specHash({ ...base, labels: { ...base.labels, 'dbaas.plan': 'large' } }), specHash(base));
  });

  test('cmd, port, image, bind and resource changes DO change it', () => {
    const h = specHash(base);
    assert.notEqual(specHash({ ...base, cmd: ['postgres', '-c', 'max_connections=50'] }), h);
    assert.notEqual(specHash({ ...base, hostPort: base.hostPort + 1 }), h);
    assert.notEqual(specHash({ ...base, containerPort: 5433 }), h);
    assert.notEqual(specHash({ ...base, image: 'docker.io/library/postgres:17' }), h);
    assert.notEqual(specHash({ ...base, hostIp: '192.0.2.11' }), h);
    assert.notEqual(
      specHash({ ...base, binds: [{ hostPath: '/d/other', containerPath: '/var/lib/postgresql/data' }] }),
      h,
    );
    assert.notEqual(specHash({ ...base, memoryMb: 1024 }), h);
    // The sandbox is the container's definition too: a container made before it is replaced at its next start.
    assert.notEqual(specHash({ ...base, user: undefined }), h);
    assert.notEqual(specHash({ ...base, readOnlyRoot: false }), h);
    assert.notEqual(specHash({ ...base, network: undefined }), h);
    assert.notEqual(specHash({ ...base, capAdd: ['CHOWN'] }), h);
  });

  test('what is applied to the running container (egress, its host preparation) does NOT change it', () => {
    const h = specHash(base);
    assert.equal(specHash({ ...base, allowEgress: true }), h);
    assert.equal(specHash({ ...base, allowEgress: false }), h);
    assert.equal(specHash({ ...base, prepare: async () => undefined }), h);
  });

  test('a rotated Redis password changes it (the password is in cmd, so the container is recreated)', () => {
    const redis = (password: string) =>
      buildContainerSpec({
        db: db({ engine: 'redis', version: '7.0' }),
        host,
        plan,
        hostPath: '/d/v',
        ctx: { ...ctx, password },
      });
    assert.notEqual(specHash(redis('old-pw')), specHash(redis('new-pw')));
  });
});
