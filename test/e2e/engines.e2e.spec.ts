import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { assertContained, assertSecretFiles } from '../support/containment';
import { Stack, until } from '../support/stack';
import { tlsOptions } from '../support/tls';

describe('MariaDB and Redis: create, connect, delete', () => {
  // Umask 077 handed down to the API and worker (a new user's restrictive shell): the engines must not care.
  const stack = new Stack({ name: 'engines', umask: '077' });
  let key = '';
  let tenantId = '';

  before(async () => {
    await stack.start();
    ({ key, id: tenantId } = await stack.tenant('beta'));
  });
  after(() => stack.stop());

  async function createAndWait(name: string, engine: string) {
    const res = await stack.request('POST', '/v1/databases', { key, body: { name, engine, plan: 'small' } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
    const creds = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body;
    const [vol] = await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [res.body.id]);
    const root = statSync(vol.path);
    assert.equal((root.mode & 0o777).toString(8), '755', "the volume root's mode is the platform's");
    assert.deepEqual([root.uid, root.gid], [999, 999], "the volume belongs to the engine's user");
    return { id: res.body.id as string, creds };
  }

  async function deleteAndCheck(id: string) {
    const vol = (await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [id]))[0].path;
    const res = await stack.request('DELETE', `/v1/databases/${id}`, { key });
    assert.equal(res.status, 202);
    assert.equal((await stack.waitOperation(key, res.body.operationId)).status, 'succeeded');
    assert.equal((await stack.containersOf(id)).length, 0);
    assert.equal(existsSync(vol), false);
    assert.equal(existsSync(`${stack.dataRoot}/secrets/${id}`), false);
  }

  test('MariaDB: the tenant user owns its database', async () => {
    const { id, creds } = await createAndWait('shop-maria', 'mariadb');
    assert.match(creds.uri, /^mysql:\/\/shop_maria:/);
    await assertContained(stack, id, { tenantId, tmpfs: ['/run/mysqld', '/tmp'], passwords: [creds.password] });
    assertSecretFiles(stack, id, ['mariadb_root_password', 'mariadb_password']);
    const conn = await createConnection({
      host: creds.host,
      port: creds.port,
      user: creds.username,
      password: creds.password,
      database: creds.database,
      // Required TLS (the default), verified against the platform CA the credentials carry.
      ssl: tlsOptions(creds),
    });
    try {
      await conn.query('CREATE TABLE t (id int primary key)');
      await conn.query('INSERT INTO t VALUES (7)');
      const [rows] = await conn.query('SELECT id FROM t');
      assert.deepEqual(rows, [{ id: 7 }]);
      // Least privilege: grants on its own schema only; no FILE, SUPER, PROCESS; nothing on mysql.*.
      const [grants] = (await conn.query('SHOW GRANTS')) as unknown as [Record<string, string>[]];
      const lines = grants.map((g) => Object.values(g)[0]);
      assert.deepEqual(
        lines.filter(
          (l) => !/^GRANT USAGE ON \*\.\* TO /.test(l) && !/^GRANT ALL PRIVILEGES ON `shop\\?_maria`\.\* TO /.test(l),
        ),
        [],
        lines.join('\n'),
      );
      assert.equal(lines.length, 2, lines.join('\n'));
      const [file] = (await conn.query(`SELECT LOAD_FILE('/etc/passwd') AS f`)) as unknown as [{ f: unknown }[]];
      assert.equal(file[0].f, null, 'LOAD_FILE reads nothing without FILE');
      await assert.rejects(conn.query(`CREATE USER 'x'@'%' IDENTIFIED BY 'x'`), /denied|privilege/i);
      await assert.rejects(conn.query('SELECT * FROM mysql.user'), /denied/i);
      await assert.rejects(conn.query('SET GLOBAL max_connections = 5'), /denied|privilege/i);
      await assert.rejects(conn.query(`SELECT 1 INTO OUTFILE '/tmp/x'`), /denied|privilege/i);
    } finally {
      await conn.end();
    }
    await assert.rejects(
      createConnection({
        host: creds.host,
        port: creds.port,
        user: creds.username,
        password: 'wrong-password',
        ssl: tlsOptions(creds),
      }),
      /Access denied/,
    );
    await deleteAndCheck(id);
  });

  test('Redis: AUTH with the generated password, data on the volume, rotation recreates', async () => {
    const { id, creds } = await createAndWait('cache', 'redis');
    await assertContained(stack, id, { tenantId, tmpfs: ['/tmp'], passwords: [creds.password] });
    const r = new Redis({
      host: creds.host,
      port: creds.port,
      password: creds.password,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      tls: tlsOptions(creds),
    });
    await r.connect();
    await r.set('k', 'v');
    assert.equal(await r.get('k'), 'v');
    assert.equal(await r.call('ACL', 'WHOAMI'), 'default', 'the tenant is the default user (AUTH <password> works)');
    // Least privilege: no command that reconfigures, stops, replicates or inspects the server or its users.
    for (const cmd of [
      ['CONFIG', 'GET', '*'],
      ['CONFIG', 'SET', 'dir', '/tmp'],
      ['DEBUG', 'SLEEP', '0'],
      ['SHUTDOWN', 'NOSAVE'],
      ['MODULE', 'LIST'],
      ['ACL', 'LIST'],
      ['ACL', 'SETUSER', 'x', 'on', '>x', '+@all'],
      ['REPLICAOF', '127.0.0.1', '1'],
      ['SLAVEOF', '127.0.0.1', '1'],
      ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100'],
      ['BGSAVE'],
      ['MONITOR'],
      ['CLIENT', 'LIST'],
    ])
      await assert.rejects(r.call(cmd[0], ...cmd.slice(1)), /NOPERM|not allowed/, cmd.join(' '));
    // Everyday commands stay.
    assert.match(String(await r.call('INFO', 'keyspace')), /db0:keys=1/);
    assert.deepEqual(await r.keys('*'), ['k']);
    assert.equal(await r.call('CLIENT', 'SETNAME', 'app'), 'OK');
    r.disconnect();
    const info = await stack.docker.getContainer((await stack.containersOf(id))[0].Id).inspect();
    assert.ok(!JSON.stringify(info.Config).includes(creds.password), 'no password in the container definition');

    // No ready check: its INFO would itself be refused and close the connection before the assertion.
    const noauth = new Redis({
      host: creds.host,
      port: creds.port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      tls: tlsOptions(creds),
    });
    noauth.on('error', () => undefined);
    await noauth.connect();
    await assert.rejects(noauth.get('k'), /NOAUTH/);
    noauth.disconnect();

    const rot = await stack.request('POST', `/v1/databases/${id}/rotate-password`, { key });
    assert.equal((await stack.waitOperation(key, rot.body.operationId)).status, 'succeeded');
    const fresh = (await stack.request('GET', `/v1/databases/${id}/credentials`, { key })).body;
    assert.notEqual(fresh.password, creds.password);
    const r2 = new Redis({
      host: fresh.host,
      port: fresh.port,
      password: fresh.password,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      tls: tlsOptions(fresh),
    });
    await r2.connect();
    assert.equal(await r2.get('k'), 'v', 'the data survived the recreate (appendonly on the volume)');
    r2.disconnect();
    assert.equal((await stack.containersOf(id)).length, 1, 'one container after the rotation');

    // A Redis of the old model (no admin user, the tenant's password as requirepass) is converted at worker start:
    // its container comes back with the ACL users, the tenant's password unchanged.
    await stack.metadata(`UPDATE databases SET privilege_model = 'legacy', admin_password = NULL WHERE id = $1`, [id]);
    for (const w of stack.workers) stack.killWorker(w);
    stack.startWorker();
    await until(
      'the database converted',
      async () =>
        (await stack.metadata('SELECT privilege_model FROM databases WHERE id = $1', [id]))[0].privilege_model ===
        'owner',
      120_000,
    );
    const [row] = await stack.metadata('SELECT admin_password, status FROM databases WHERE id = $1', [id]);
    assert.ok(row.admin_password?.startsWith('v1:'), 'a new admin password, sealed');
    assert.equal(row.status, 'running');
    const r3 = new Redis({
      host: fresh.host,
      port: fresh.port,
      password: fresh.password,
      lazyConnect: true,
      tls: tlsOptions(fresh),
    });
    await r3.connect();
    assert.equal(await r3.get('k'), 'v');
    await assert.rejects(r3.call('CONFIG', 'GET', 'dir'), /NOPERM/);
    r3.disconnect();
    await deleteAndCheck(id);
  });
});
