import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  adminLogin,
  ENGINE_NAMES,
  ENGINES,
  EngineContext,
  identifierFor,
  imageRef,
  platformLogin,
  REDIS_TENANT_RULES,
} from '@app/domain/engines/engine-catalog';

const sha = (s: string) => '#' + createHash('sha256').update(s).digest('hex');
const legacy: EngineContext = {
  ...{ username: 'app_user', password: 'Pw3xYz', dbName: 'orders_db' },
  adminPassword: null,
  privilegeModel: 'legacy',
};

const ctx: EngineContext = { username: 'app_user', password: 'Pw3xYz', dbName: 'orders_db', adminPassword: 'Adm1nPw' };
// Characters that must be percent-encoded in a URI's userinfo and path.
const nasty: EngineContext = { username: 'us@r:x', password: 'p@ss/w:rd?#%', dbName: 'd b/x', adminPassword: 'root' };

describe('engine catalog', () => {
  test('lists exactly the five supported engines', () => {
    assert.deepEqual([...ENGINE_NAMES].sort(), ['mariadb', 'mongodb', 'mysql', 'postgresql', 'redis']);
    for (const name of ENGINE_NAMES) {
      const def = ENGINES[name];
      assert.equal(def.name, name);
      assert.ok(def.versions.includes(def.defaultVersion), `${name} default version is offered`);
      assert.match(def.image, /^library\//);
    }
  });

  test('postgresql: initdb superuser is the platform admin, PGDATA in a subdirectory of the data dir', () => {
    const pg = ENGINES.postgresql;
    assert.equal(pg.needsAdminPassword, true);
    // The tenant's role is made by the control plane after readiness (owner of its database, no superuser).
    assert.deepEqual(pg.env(ctx), {
      POSTGRES_USER: 'dbaas_admin',
      // The tenant's database is made by the init SQL, with its owner (the entrypoint makes none).
      POSTGRES_DB: 'postgres',
      PGDATA: '/var/lib/postgresql/data/pgdata',
    });
    // Passwords reach the container as files (POSTGRES_PASSWORD_FILE), never in its env.
    assert.deepEqual(pg.secrets(ctx), { POSTGRES_PASSWORD: 'Adm1nPw' });
    assert.deepEqual(adminLogin(pg, ctx), { username: 'dbaas_admin', password: 'Adm1nPw', database: 'postgres' });
    assert.ok(pg.reservedUsernames.includes('dbaas_admin'));
    // A legacy database keeps its container as it was (its superuser is the tenant) until it is converted.
    assert.deepEqual(pg.env(legacy), {
      POSTGRES_USER: 'app_user',
      POSTGRES_DB: 'orders_db',
      PGDATA: '/var/lib/postgresql/data/pgdata',
    });
    assert.deepEqual(pg.secrets(legacy), { POSTGRES_PASSWORD: 'Pw3xYz' });
    assert.deepEqual(platformLogin(pg, legacy), { username: 'app_user', password: 'Pw3xYz', database: 'orders_db' });
    assert.deepEqual(platformLogin(pg, ctx), adminLogin(pg, ctx));
    assert.throws(() => pg.secrets({ ...ctx, adminPassword: null }), /no admin password/);
    assert.ok(pg.env(ctx).PGDATA.startsWith(pg.dataDir + '/'));
    assert.equal(pg.cmd(ctx), undefined);
    assert.equal(pg.containerPort, 5432);
    assert.equal(pg.image, 'library/postgres');
    assert.equal(pg.uri(ctx, 'db.example', 20001), 'postgresql://app_user:Pw3xYz@db.example:20001/orders_db');
  });

  test('mysql: MYSQL_* env with a separate root password', () => {
    const my = ENGINES.mysql;
    assert.equal(my.needsAdminPassword, true);
    assert.deepEqual(my.env(ctx), { MYSQL_USER: 'app_user', MYSQL_DATABASE: 'orders_db' });
    assert.deepEqual(my.secrets(ctx), { MYSQL_ROOT_PASSWORD: 'Adm1nPw', MYSQL_PASSWORD: 'Pw3xYz' });
    assert.equal(my.cmd(ctx), undefined);
    assert.equal(my.containerPort, 3306);
    // root under both models: readiness and rotation go through it.
    assert.deepEqual(platformLogin(my, ctx), { username: 'root', password: 'Adm1nPw', database: null });
    assert.deepEqual(platformLogin(my, { ...ctx, privilegeModel: 'legacy' }), platformLogin(my, ctx));
    assert.ok(my.reservedUsernames.includes('root'));
    assert.equal(my.uri(ctx, '10.0.0.5', 20002), 'mysql://app_user:Pw3xYz@10.0.0.5:20002/orders_db');
  });

  test('mariadb: MARIADB_* env with a separate root password', () => {
    const maria = ENGINES.mariadb;
    assert.equal(maria.needsAdminPassword, true);
    assert.deepEqual(maria.env(ctx), { MARIADB_USER: 'app_user', MARIADB_DATABASE: 'orders_db' });
    assert.deepEqual(maria.secrets(ctx), { MARIADB_ROOT_PASSWORD: 'Adm1nPw', MARIADB_PASSWORD: 'Pw3xYz' });
    assert.equal(maria.cmd(ctx), undefined);
    assert.equal(maria.image, 'library/mariadb');
    assert.equal(maria.uri(ctx, 'h', 3307), 'mysql://app_user:Pw3xYz@h:3307/orders_db');
  });

  test('redis: ACL users on the command line with hashed passwords: the tenant is a restricted "default"', () => {
    const redis = ENGINES.redis;
    assert.equal(redis.needsAdminPassword, true);
    assert.deepEqual(redis.env(ctx), {});
    assert.deepEqual(redis.secrets(ctx), {});
    const tenantRules = ['default', 'reset', 'on', sha('Pw3xYz'), '~*', '&*', ...REDIS_TENANT_RULES];
    assert.deepEqual(redis.cmd(ctx), [
      'redis-server',
      '--appendonly',
      'yes',
      '--dir',
      '/data',
      '--user',
      ...tenantRules,
      '--user',
      'dbaas_admin',
      'reset',
      'on',
      sha('Adm1nPw'),
      '~*',
      '&*',
      '+@all',
    ]);
    assert.ok(!JSON.stringify(redis.cmd(ctx)).includes('Pw3xYz'), 'no password in clear on the command line');
    assert.ok(!JSON.stringify(redis.cmd(ctx)).includes('Adm1nPw'), 'no admin password in clear on the command line');
    for (const rule of ['-@admin', '-@dangerous']) assert.ok(REDIS_TENANT_RULES.includes(rule), rule);
    for (const cmd of ['config', 'module', 'debug', 'shutdown', 'acl', 'replicaof', 'slaveof', 'migrate', 'restore'])
      assert.ok(!REDIS_TENANT_RULES.some((r) => r.startsWith(`+${cmd}`)), `${cmd} is not given back`);
    assert.equal(redis.fixedUsername, 'default');
    assert.equal(redis.rotation, 'recreate');
    assert.equal(redis.dataDir, '/data');
    assert.equal(redis.containerPort, 6379);
    assert.deepEqual(platformLogin(redis, ctx), { username: 'dbaas_admin', password: 'Adm1nPw', database: null });
    const c = { ...ctx, username: 'default' };
    assert.equal(redis.uri(c, 'h', 20003), 'redis://default:Pw3xYz@h:20003/0');
  });

  test('redis: a legacy database keeps its requirepass container until it is converted', () => {
    const redis = ENGINES.redis;
    const l = { ...legacy, username: 'default' };
    assert.deepEqual(redis.cmd(l), [
      'redis-server',
      '--requirepass',
      'Pw3xYz',
      '--appendonly',
      'yes',
      '--dir',
      '/data',
    ]);
    assert.deepEqual(platformLogin(redis, l), { username: 'default', password: 'Pw3xYz', database: 'orders_db' });
  });

  test('mongodb: the init root user is the platform admin; the tenant (dbOwner) logs in with authSource=admin', () => {
    const mongo = ENGINES.mongodb;
    assert.equal(mongo.needsAdminPassword, true);
    assert.deepEqual(mongo.env(ctx), {
      MONGO_INITDB_ROOT_USERNAME: 'dbaas_admin',
      MONGO_INITDB_DATABASE: 'orders_db',
    });
    assert.deepEqual(mongo.secrets(ctx), { MONGO_INITDB_ROOT_PASSWORD: 'Adm1nPw' });
    assert.ok(!JSON.stringify(mongo.env(ctx)).includes('Pw3xYz'), "the tenant's password is not in the env");
    assert.deepEqual(adminLogin(mongo, ctx), { username: 'dbaas_admin', password: 'Adm1nPw', database: 'admin' });
    assert.deepEqual(mongo.env(legacy), {
      MONGO_INITDB_ROOT_USERNAME: 'app_user',
      MONGO_INITDB_DATABASE: 'orders_db',
    });
    assert.deepEqual(mongo.secrets(legacy), { MONGO_INITDB_ROOT_PASSWORD: 'Pw3xYz' });
    assert.equal(mongo.cmd(ctx), undefined);
    assert.equal(mongo.image, 'library/mongo');
    assert.equal(mongo.dataDir, '/data/db');
    assert.equal(mongo.uri(ctx, 'h', 20004), 'mongodb://app_user:Pw3xYz@h:20004/orders_db?authSource=admin');
  });

  test('every engine has a separate admin account; the tenant password never opens it', () => {
    for (const name of ENGINE_NAMES) {
      const def = ENGINES[name];
      assert.equal(def.needsAdminPassword, true, name);
      assert.notEqual(def.adminUsername, def.fixedUsername, name);
      assert.equal(adminLogin(def, ctx).password, 'Adm1nPw', name);
      assert.ok(!ENGINES[name].uri(ctx, 'h', 1).includes('Adm1nPw'), `${name}: the admin password is not in the URI`);
    }
  });

  test('no engine has a password in its env: every secret is a file', () => {
    for (const name of ENGINE_NAMES) {
      const env = JSON.stringify([ENGINES[name].env(ctx), ENGINES[name].env(legacy)]);
      assert.ok(!env.includes('Adm1nPw') && !env.includes('Pw3xYz'), `${name}: ${env}`);
    }
  });

  test("every engine runs as its image's user (uid 999, as the official images), without capabilities", () => {
    for (const name of ENGINE_NAMES) {
      const s = ENGINES[name].sandbox;
      assert.deepEqual({ uid: s.uid, gid: s.gid, capAdd: s.capAdd }, { uid: 999, gid: 999, capAdd: [] }, name);
    }
    // Read-only root where the image was run so here; the paths the engine writes outside its data are tmpfs.
    const ro = (n: keyof typeof ENGINES) => [
      ENGINES[n].sandbox.readOnlyRoot,
      ENGINES[n].sandbox.tmpfs.map((t) => t.path),
    ];
    assert.deepEqual(ro('postgresql'), [true, ['/var/run/postgresql', '/tmp']]);
    assert.deepEqual(ro('mariadb'), [true, ['/run/mysqld', '/tmp']]);
    assert.deepEqual(ro('redis'), [true, ['/tmp']]);
  });

  test('every uri() percent-encodes username, password and database name', () => {
    for (const name of ENGINE_NAMES) {
      const uri = ENGINES[name].uri(nasty, 'h', 1234);
      assert.ok(uri.includes(encodeURIComponent('p@ss/w:rd?#%')), `${name}: ${uri}`);
      assert.ok(uri.includes('p%40ss%2Fw%3Ard%3F%23%25'), `${name}: ${uri}`);
      assert.ok(uri.includes('us%40r%3Ax:'), `${name}: ${uri}`);
      assert.ok(!uri.includes('p@ss'), `${name}: raw password leaked into ${uri}`);
      // Exactly one '@' (the userinfo separator) once the credentials are encoded.
      assert.equal(uri.split('@').length, 2, uri);
      const parsed = new URL(uri);
      assert.equal(decodeURIComponent(parsed.password), 'p@ss/w:rd?#%');
      assert.equal(decodeURIComponent(parsed.username), 'us@r:x');
      assert.equal(parsed.hostname, 'h');
      assert.equal(parsed.port, '1234');
    }
    for (const name of ['postgresql', 'mysql', 'mariadb', 'mongodb'] as const) {
      assert.ok(ENGINES[name].uri(nasty, 'h', 1).includes('/d%20b%2Fx'), name);
    }
  });
});

describe('identifierFor', () => {
  test('replaces every "-" with "_" and leaves the rest alone', () => {
    assert.equal(identifierFor('my-app-db'), 'my_app_db');
    assert.equal(identifierFor('orders'), 'orders');
    assert.equal(identifierFor('a--b-'), 'a__b_');
  });
});

describe('imageRef', () => {
  test('without a registry: docker.io/<library image>:<version>', () => {
    assert.equal(imageRef(ENGINES.postgresql, '16'), 'docker.io/library/postgres:16');
    assert.equal(imageRef(ENGINES.mongodb, '7.0'), 'docker.io/library/mongo:7.0');
  });

  test('with a registry: the same path under the registry, without a doubled slash', () => {
    assert.equal(imageRef(ENGINES.mysql, '8.4', 'registry.local:5000'), 'registry.local:5000/library/mysql:8.4');
    assert.equal(imageRef(ENGINES.redis, '7.2', 'mirror.corp/dockerhub/'), 'mirror.corp/dockerhub/library/redis:7.2');
  });

  test('an empty registry string falls back to Docker Hub', () => {
    assert.equal(imageRef(ENGINES.mariadb, '11.4', ''), 'docker.io/library/mariadb:11.4');
  });
});
