import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { assertContained, assertSecretFiles } from '../support/containment';
import { Stack, until } from '../support/stack';
import { pgUri, saveCa } from '../support/tls';

/** Runs SQL inside the database's container as `role` over the local socket (trusted there, never over TCP). */
async function inContainer(stack: Stack, databaseId: string, role: string, db: string, sql: string): Promise<string> {
  const [c] = await stack.containersOf(databaseId);
  const exec = await stack.docker.getContainer(c.Id).exec({
    Cmd: ['psql', '-X', '-qAt', '-v', 'ON_ERROR_STOP=1', '-U', role, '-d', db, '-c', sql],
    User: 'postgres',
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((r) => stream.on('end', r));
  const { ExitCode } = await exec.inspect();
  // Docker's multiplexed stream: 8-byte frame headers before each chunk.
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length;) {
    const len = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  if (ExitCode !== 0) throw new Error(`psql as ${role}: ${out}`);
  return out.trim();
}

async function query(uri: string, sql: string, params: unknown[] = []) {
  const c = new Client({ connectionString: pgUri(uri), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgreSQL through the tenant API, end to end', () => {
  // The API and worker inherit umask 077, as from a new user's restrictive shell: nothing may depend on it.
  const stack = new Stack({
    name: 'postgresql',
    umask: '077',
    // A tenant's network outlives its last database for this long (the next one starts without making it again).
    worker: { TENANT_NETWORK_IDLE_MS: '8000', TENANT_NETWORK_SWEEP_INTERVAL_MS: '1000' },
  });
  let tenant: { id: string; key: string };
  let dbId = '';
  let creds: { uri: string; password: string; username: string; host: string; port: number };

  before(async () => {
    await stack.start();
    await saveCa(stack.apiUrl);
    tenant = await stack.tenant('acme');
  });
  after(() => stack.stop());

  test('create: 202 with an operation that reaches succeeded, then the database is running', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'orders', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'provisioning');
    dbId = res.body.id;
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(op.progress, 100);
    const db = await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(db.status, 200);
    assert.equal(db.body.status, 'running');
    assert.equal(db.body.engine, 'postgresql');
    assert.equal(db.body.plan, 'small');
    assert.equal(db.body.endpoint.host, '127.0.0.1');
    const containers = await stack.containersOf(dbId);
    assert.equal(containers.length, 1);
    // CPU and memory limits come from the plan (small: 0.5 CPU, 512 MiB).
    const info = await stack.docker.getContainer(containers[0].Id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 0.5e9);
    assert.equal(info.HostConfig.Memory, 512 * 2 ** 20);
    const vol = await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [dbId]);
    assert.ok(existsSync(join(vol[0].path, 'pgdata', 'PG_VERSION')), 'the data lives on the volume');
    // The volume's root has the platform's mode, not the umask's, and belongs to the engine's user (uid 999).
    const root = statSync(vol[0].path);
    assert.equal((root.mode & 0o777).toString(8), '755');
    assert.deepEqual([root.uid, root.gid], [999, 999]);
  });

  test('contained: no capability, uid 999, read-only root, its tenant network; the password is a file', async () => {
    const [row] = await stack.metadata('SELECT admin_password FROM databases WHERE id = $1', [dbId]);
    assert.ok(row.admin_password);
    await assertContained(stack, dbId, { tenantId: tenant.id, tmpfs: ['/var/run/postgresql', '/tmp'], passwords: [] });
    const info = await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect();
    assert.ok(!info.Config.Env.some((e: string) => /PASSWORD=/.test(e)), info.Config.Env.join(' '));
    assert.ok(info.Config.Env.includes('POSTGRES_PASSWORD_FILE=/run/secrets/dbaas/postgres_password'));
    assertSecretFiles(stack, dbId, ['postgres_password', 'tenant_init']);
    // The tenant's role was made with the database by the entrypoint, and its password is in no log line.
    const { password } = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;
    const logs = (await stack.request('GET', `/v1/databases/${dbId}/logs?tail=200`, { key: tenant.key })).body;
    const lines = (logs.lines as string[]).join('\n');
    assert.match(lines, /running \/docker-entrypoint-initdb\.d\/50-dbaas-tenant\.sql/);
    assert.ok(!lines.includes(password), 'the password is not in the log');
  });

  test('credentials: connect with the returned URI, write a row', async () => {
    const res = await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key });
    assert.equal(res.status, 200);
    creds = res.body;
    assert.ok(creds.password.length >= 32);
    await query(creds.uri, 'CREATE TABLE t (id int primary key, v text)');
    await query(creds.uri, `INSERT INTO t VALUES (1, 'kept across restarts')`);
  });

  test('the password is stored encrypted, not in clear', async () => {
    const rows = await stack.metadata('SELECT password FROM databases WHERE id = $1', [dbId]);
    assert.ok(rows[0].password.startsWith('v1:'));
    assert.ok(!rows[0].password.includes(creds.password));
  });

  test('restart: the row is still there afterwards', async () => {
    const before = (await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect()).State.StartedAt;
    const res = await stack.request('POST', `/v1/databases/${dbId}/restart`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const afterStart = (await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect()).State
      .StartedAt;
    assert.notEqual(afterStart, before, 'the container really restarted');
    const rows = await query(creds.uri, 'SELECT v FROM t WHERE id = 1');
    assert.deepEqual(rows, [{ v: 'kept across restarts' }]);
  });

  test('the volume is reported with its driver, size and measured usage', async () => {
    const deadline = Date.now() + 20_000;
    let volume: { driver: string; sizeGb: number; usedBytes: number | null } | null = null;
    while (Date.now() < deadline) {
      volume = (await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body.volume;
      if (volume?.usedBytes) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(volume?.driver, 'directory');
    assert.equal(volume?.sizeGb, 1);
    // An initialised PostgreSQL cluster is tens of megabytes.
    assert.ok((volume?.usedBytes ?? 0) > 10 * 2 ** 20, String(volume?.usedBytes));
  });

  test('logs: the container log tail', async () => {
    const res = await stack.request('GET', `/v1/databases/${dbId}/logs?tail=5`, { key: tenant.key });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body.lines));
    assert.ok(res.body.lines.length > 0 && res.body.lines.length <= 5);
  });

  test('rotate-password: the old password is refused, the new one works', async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/rotate-password`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const fresh = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;
    assert.notEqual(fresh.password, creds.password);
    await assert.rejects(query(creds.uri, 'SELECT 1'), /password authentication failed/);
    assert.deepEqual(await query(fresh.uri, 'SELECT v FROM t WHERE id = 1'), [{ v: 'kept across restarts' }]);
    creds = fresh;
  });

  test('least privilege: the tenant role owns its database and is no superuser', async () => {
    const [role] = await query(
      creds.uri,
      'SELECT rolsuper, rolcreaterole, rolreplication, rolbypassrls, rolcreatedb FROM pg_roles WHERE rolname = current_user',
    );
    assert.deepEqual(role, {
      rolsuper: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
      rolcreatedb: true,
    });
    const [db] = await query(
      creds.uri,
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()',
    );
    assert.equal(db.owner, creds.username, 'the tenant owns its database');
    // What made the initdb superuser a shell in the container.
    await assert.rejects(query(creds.uri, `COPY t (v) FROM PROGRAM 'id'`), /permission denied|must be superuser/);
    await assert.rejects(query(creds.uri, `SELECT pg_read_file('/etc/passwd')`), /permission denied/);
    await assert.rejects(query(creds.uri, 'CREATE ROLE x SUPERUSER'), /permission denied|must be superuser/);
    await assert.rejects(query(creds.uri, 'ALTER ROLE CURRENT_USER SUPERUSER'), /permission denied|must be superuser/);
    await assert.rejects(query(creds.uri, 'GRANT pg_execute_server_program TO CURRENT_USER'), /permission denied|must/);
    // Its own work goes on: tables, rows, schemas in its database.
    await query(creds.uri, 'CREATE TABLE mine (id int)');
    await query(creds.uri, 'INSERT INTO mine VALUES (1)');
    await query(creds.uri, 'CREATE SCHEMA app');
    await query(creds.uri, 'DROP TABLE mine');
    // The platform's own role is another one, whose password the tenant never sees.
    const [boot] = await query(creds.uri, 'SELECT rolname FROM pg_roles WHERE oid = 10');
    assert.equal(boot.rolname, 'dbaas_admin');
    const [row] = await stack.metadata('SELECT privilege_model, admin_password FROM databases WHERE id = $1', [dbId]);
    assert.equal(row.privilege_model, 'owner');
    assert.ok(row.admin_password.startsWith('v1:'), 'the admin password is sealed');
    const info = await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect();
    assert.ok(
      !info.Config.Env.some((e: string) => e.includes(creds.password)),
      "the tenant's password is not in the env",
    );
    // Nor the admin's: it reached initdb through a file.
    assert.ok(!info.Config.Env.some((e: string) => /PASSWORD=/.test(e)), info.Config.Env.join(' '));
  });

  test('a database of the old model (the tenant is the bootstrap superuser) is converted when the worker starts', async () => {
    // The old model, rebuilt in the data: the bootstrap superuser (oid 10) is the tenant's role with its password,
    // owning everything it made, and the platform has no role of its own.
    const user = creds.username;
    const sql = (role: string, text: string, db = 'orders') => inContainer(stack, dbId, role, db, text);
    await sql('dbaas_admin', `CREATE ROLE legacy_tmp SUPERUSER LOGIN`, 'postgres');
    await sql('legacy_tmp', `REASSIGN OWNED BY ${user} TO dbaas_admin`);
    await sql('legacy_tmp', `REASSIGN OWNED BY ${user} TO dbaas_admin`, 'postgres');
    await sql('legacy_tmp', `DROP OWNED BY ${user}`);
    await sql('legacy_tmp', `DROP ROLE ${user}`, 'postgres');
    await sql('legacy_tmp', `ALTER ROLE dbaas_admin RENAME TO ${user}`, 'postgres');
    await sql('legacy_tmp', `ALTER ROLE ${user} PASSWORD '${creds.password}'`, 'postgres');
    await sql(user, `DROP ROLE legacy_tmp`, 'postgres');
    // What a superuser tenant may have left behind: a SECURITY DEFINER function and a superuser role of its own.
    await query(
      creds.uri,
      `CREATE FUNCTION whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT current_user::text'`,
    );
    await query(creds.uri, `CREATE ROLE sidekick SUPERUSER LOGIN PASSWORD 'sidekick-pw'`);
    const [was] = await query(creds.uri, 'SELECT rolsuper, oid FROM pg_roles WHERE rolname = current_user');
    assert.deepEqual(was, { rolsuper: true, oid: 10 });
    await stack.metadata(`UPDATE databases SET privilege_model = 'legacy', admin_password = NULL WHERE id = $1`, [
      dbId,
    ]);

    // A clone of it holds legacy data: its create job converts it (the source's password opens it first).
    const cl = await stack.request('POST', `/v1/databases/${dbId}/clones`, {
      key: tenant.key,
      body: { name: 'orders-copy' },
    });
    assert.equal(cl.status, 202, JSON.stringify(cl.body));
    const clOp = await stack.waitOperation(tenant.key, cl.body.operationId, 180_000);
    assert.equal(clOp.status, 'succeeded', clOp.error);
    const clone = (await stack.request('GET', `/v1/databases/${cl.body.id}/credentials`, { key: tenant.key })).body;
    assert.notEqual(clone.password, creds.password);
    assert.deepEqual(
      await query(
        clone.uri,
        `SELECT rolsuper, (SELECT rolname FROM pg_roles WHERE oid = 10) AS boot,
                (SELECT tableowner FROM pg_tables WHERE tablename = 't') AS t,
                (SELECT count(*)::int FROM pg_roles WHERE rolsuper) AS supers
           FROM pg_roles WHERE rolname = current_user`,
      ),
      [{ rolsuper: false, boot: 'dbaas_admin', t: user, supers: 1 }],
    );
    assert.deepEqual(await query(clone.uri, 'SELECT v FROM t WHERE id = 1'), [{ v: 'kept across restarts' }]);
    await assert.rejects(
      query(clone.uri.replace(clone.password, creds.password), 'SELECT 1'),
      /password authentication/,
    );
    const [clRow] = await stack.metadata('SELECT privilege_model FROM databases WHERE id = $1', [cl.body.id]);
    assert.equal(clRow.privilege_model, 'owner');
    const del = await stack.request('DELETE', `/v1/databases/${cl.body.id}`, { key: tenant.key });
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');

    for (const w of stack.workers) stack.killWorker(w);
    stack.startWorker();
    await until(
      'the database converted',
      async () =>
        (await stack.metadata('SELECT privilege_model FROM databases WHERE id = $1', [dbId]))[0].privilege_model ===
        'owner',
      120_000,
    );

    // The same login, password and data; no superuser left but the platform's.
    const [role] = await query(
      creds.uri,
      'SELECT rolsuper, oid <> 10 AS moved FROM pg_roles WHERE rolname = current_user',
    );
    assert.deepEqual(role, { rolsuper: false, moved: true });
    assert.deepEqual(await query(creds.uri, 'SELECT v FROM t WHERE id = 1'), [{ v: 'kept across restarts' }]);
    const owners = await query(
      creds.uri,
      `SELECT (SELECT tableowner FROM pg_tables WHERE tablename = 't') AS t,
              (SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'whoami') AS f,
              (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS db,
              (SELECT rolname FROM pg_roles WHERE oid = 10) AS boot`,
    );
    assert.deepEqual(owners, [{ t: user, f: user, db: user, boot: 'dbaas_admin' }]);
    assert.deepEqual(await query(creds.uri, 'SELECT whoami()'), [{ whoami: user }], 'the definer is the tenant now');
    const supers = await query(creds.uri, 'SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1');
    assert.deepEqual(supers, [{ rolname: 'dbaas_admin' }]);
    await assert.rejects(query(creds.uri, `COPY t (v) FROM PROGRAM 'id'`), /permission denied|must be superuser/);
    await query(creds.uri, `INSERT INTO t VALUES (2, 'after the conversion')`);
    const [row] = await stack.metadata('SELECT admin_password FROM databases WHERE id = $1', [dbId]);
    assert.ok(row.admin_password?.startsWith('v1:'), 'a new admin password, sealed');
    const events = await stack.metadata(`SELECT message FROM events WHERE database_id = $1 AND type = $2`, [
      dbId,
      'database.privileges-converted',
    ]);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.match(events[0].message, /sidekick/, 'the demoted roles are named');
  });

  test('resize: new CPU and memory limits on the running container', async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/resize`, {
      key: tenant.key,
      body: { plan: 'medium' },
    });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const info = await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 1e9);
    assert.equal(info.HostConfig.Memory, 1024 * 2 ** 20);
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body.plan, 'medium');
    assert.deepEqual(await query(creds.uri, 'SELECT v FROM t WHERE id = 1'), [{ v: 'kept across restarts' }]);
  });

  test('delete: container, volume and secrets are gone', async () => {
    const vol = (await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [dbId]))[0].path;
    const res = await stack.request('DELETE', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal((await stack.containersOf(dbId)).length, 0);
    assert.equal(existsSync(vol), false);
    assert.equal(existsSync(`${stack.dataRoot}/secrets/${dbId}`), false, 'the password files are gone');
    // Its tenant's last database on the host: the tenant's network stays a while for its next one, then goes.
    const unusedAt = Date.now();
    const net = stack.docker.getNetwork(`dbaas-t-${tenant.id}`);
    assert.deepEqual((await net.inspect()).Containers, {}, 'kept, unused');
    const deadline = Date.now() + 30_000;
    while (
      await net.inspect().then(
        () => true,
        () => false,
      )
    ) {
      assert.ok(Date.now() < deadline, 'the unused network was never swept');
      await new Promise((r) => setTimeout(r, 250));
    }
    const after = Date.now() - unusedAt;
    assert.ok(after >= 7000, `swept ${after} ms after its last container went, before TENANT_NETWORK_IDLE_MS`);
    const row = (
      await stack.metadata('SELECT status, password, admin_password FROM databases WHERE id = $1', [dbId])
    )[0];
    assert.deepEqual(row, { status: 'deleted', password: null, admin_password: null });
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).status, 404);
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).status, 404);
    // The name is free again.
    const again = await stack.request('GET', '/v1/databases', { key: tenant.key });
    assert.deepEqual(again.body, []);
  });
});
