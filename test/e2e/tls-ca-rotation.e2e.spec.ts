import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { Stack, until } from '../support/stack';
import { caFile } from '../support/tls';

interface Creds {
  username: string;
  password: string;
  database: string;
  host: string;
  port: number;
  tls: { ca: string; serverName: string };
}

/** The certificates of a PEM bundle, in order. */
function pems(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
}

/** libpq's own verify-full (psql, argv only): the exit code and output of a query that says whether TLS is on. */
function psql(c: Creds, rootCert: string): Promise<{ code: number; out: string }> {
  const conninfo = `host=${c.host} port=${c.port} user=${c.username} dbname=${c.database} sslmode=verify-full sslrootcert=${rootCert}`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'psql',
      ['-X', '-qAt', '-d', conninfo, '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'],
      { env: { ...process.env, PGPASSWORD: c.password, PGCONNECT_TIMEOUT: '10' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** The serial of the certificate the database serves, through a client that verifies it against `ca` and the name. */
async function servedSerial(c: Creds, ca: string): Promise<string> {
  let serial = '';
  const pg = new Client({
    host: c.host,
    port: c.port,
    user: c.username,
    password: c.password,
    database: c.database,
    ssl: {
      ca,
      checkServerIdentity: (h: string, cert: PeerCertificate) => (
        (serial = cert.serialNumber),
        checkServerIdentity(h, cert)
      ),
    },
  });
  await pg.connect();
  await pg.end();
  return serial;
}

describe('CA rotation: a bundle of both CAs, certificates re-issued by the new one, the old one retired', () => {
  // Renewal rounds every second, so "the next round" comes within the test.
  const stack = new Stack({ name: 'tls-ca-rotation', env: { TLS_RENEW_INTERVAL_MS: '1000' } });
  let key = '';
  let oldCa = '';
  let newCa = '';
  const dbs: { id: string; creds: Creds }[] = [];
  const admin = (method: string, path: string, body?: unknown) =>
    stack.request(method, path, { key: stack.operatorKey, body });
  const bundle = async () => (await stack.request('GET', '/v1/ca.pem')).body as string;
  const storedCert = async (id: string) =>
    new X509Certificate((await stack.metadata('SELECT tls_cert FROM databases WHERE id = $1', [id]))[0].tls_cert);

  before(async () => {
    await stack.start();
    ({ key } = await stack.tenant('rotating'));
    oldCa = await bundle();
    assert.equal(pems(oldCa).length, 1, 'one CA before any rotation');
    // Two databases (TLS required, the default): one renews at its time, one when the operator says. One after the
    // other: two first creations of a tenant at once can make its network twice (Docker's CheckDuplicate is racy).
    for (const name of ['natural', 'hurried']) {
      const res = await stack.request('POST', '/v1/databases', {
        key,
        body: { name, engine: 'postgresql', plan: 'small' },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const op = await stack.waitOperation(key, res.body.operationId, 240_000);
      assert.equal(op.status, 'succeeded', op.error);
      const creds = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body as Creds;
      dbs.push({ id: res.body.id, creds });
    }
  });
  after(() => stack.stop());

  test('GET /admin/v1/ca: the current CA and how many certificates it signs', async () => {
    const res = await admin('GET', '/admin/v1/ca');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.authorities.length, 1);
    const [ca] = res.body.authorities;
    assert.equal(ca.state, 'current');
    assert.equal(ca.certificates, 2);
    assert.equal(ca.fingerprint, new X509Certificate(oldCa).fingerprint256);
    assert.equal(res.body.bundle, oldCa);
  });

  test('bad input and tenants are refused, nothing changes', async () => {
    const bad = await admin('POST', '/admin/v1/ca/rotate', { reissue: 'later' });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const extra = await admin('POST', '/admin/v1/ca/rotate', { reissue: 'now', keyBits: 4096 });
    assert.equal(extra.status, 400, JSON.stringify(extra.body));
    const tenant = await stack.request('POST', '/admin/v1/ca/rotate', { key, body: {} });
    assert.equal(tenant.status, 403, JSON.stringify(tenant.body));
    assert.equal((await stack.metadata('SELECT 1 FROM certificate_authorities')).length, 1);
    assert.equal(await bundle(), oldCa);
  });

  test('rotate: the bundle holds both CAs; the servers keep their certificates until renewal', async () => {
    const res = await admin('POST', '/admin/v1/ca/rotate', {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const states = res.body.authorities.map((a: { state: string }) => a.state);
    assert.deepEqual(states, ['current', 'previous']);
    assert.equal(res.body.authorities[1].certificates, 2, 'both certificates still signed by the old CA');
    const certs = pems(await bundle());
    assert.equal(certs.length, 2, 'GET /v1/ca.pem: the new and the old CA');
    assert.equal(certs[1].fingerprint256, new X509Certificate(oldCa).fingerprint256, 'the old CA after the new one');
    newCa = certs[0].toString();
    assert.notEqual(certs[0].fingerprint256, certs[1].fingerprint256);
    assert.ok(certs[0].ca && certs[0].verify(certs[0].publicKey), 'a self-signed CA');
    assert.notEqual(certs[0].subject, certs[1].subject, 'told apart by name too');
    // The new key sealed with the master key, as the first one's.
    const rows = await stack.metadata(`SELECT state, key_sealed FROM certificate_authorities ORDER BY created_at`);
    assert.deepEqual(
      rows.map((r) => r.state),
      ['previous', 'current'],
    );
    for (const r of rows) assert.match(r.key_sealed, /^v1:/);
    // The tenants' credentials carry the bundle; a client trusting it connects to a server still on the old CA.
    const creds = (await stack.request('GET', `/v1/databases/${dbs[0].id}/credentials`, { key })).body as Creds;
    assert.equal(creds.tls.ca, await bundle());
    const ok = await psql(dbs[0].creds, caFile(creds.tls.ca));
    assert.equal(ok.code, 0, ok.out);
    assert.equal(ok.out.trim(), 't');
    // The default is re-issue at renewal: a few renewal rounds later, both still serve the old CA's certificate.
    await new Promise((r) => setTimeout(r, 3000));
    for (const db of dbs) assert.ok((await storedCert(db.id)).verify(new X509Certificate(oldCa).publicKey));
    const audit = await stack.metadata(`SELECT 1 FROM audit_entries WHERE path = '/admin/v1/ca/rotate'`);
    assert.ok(audit.length >= 1, 'audited like every admin action');
  });

  test('at its renewal, a database gets a certificate of the new CA; a client trusting only the new CA connects', async () => {
    const [db] = dbs;
    const before = await servedSerial(db.creds, oldCa);
    await stack.metadata(`UPDATE databases SET tls_not_after = now() + interval '1 hour' WHERE id = $1`, [db.id]);
    await until(
      'the certificate of the new CA served',
      async () => {
        const s = await servedSerial(db.creds, newCa).catch(() => '');
        return s && s !== before;
      },
      60_000,
    );
    assert.ok((await storedCert(db.id)).verify(new X509Certificate(newCa).publicKey), 'signed by the new CA');
    const onlyNew = await psql(db.creds, caFile(newCa));
    assert.equal(onlyNew.code, 0, onlyNew.out);
    const withBundle = await psql(db.creds, caFile(await bundle()));
    assert.equal(withBundle.code, 0, withBundle.out);
    // The other database still holds the old CA in the bundle.
    assert.equal(pems(await bundle()).length, 2);
    const view = (await admin('GET', '/admin/v1/ca')).body;
    assert.deepEqual(
      view.authorities.map((a: { certificates: number }) => a.certificates),
      [1, 1],
    );
  });

  test('POST /admin/v1/ca/reissue: the renewal job re-issues the rest, then the old CA leaves the bundle', async () => {
    const db = dbs[1];
    const res = await admin('POST', '/admin/v1/ca/reissue');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await until('the old CA retired', async () => pems(await bundle()).length === 1, 60_000);
    assert.equal(pems(await bundle())[0].fingerprint256, new X509Certificate(newCa).fingerprint256);
    assert.ok((await storedCert(db.id)).verify(new X509Certificate(newCa).publicKey), 'signed by the new CA');
    for (const d of dbs) {
      const ok = await psql(d.creds, caFile(newCa));
      assert.equal(ok.code, 0, `${d.id}: ${ok.out}`);
    }
    // A client that kept only the old CA is refused now: the rotation is complete.
    const old = await psql(db.creds, caFile(oldCa));
    assert.notEqual(old.code, 0, old.out);
    const view = (await admin('GET', '/admin/v1/ca')).body;
    assert.deepEqual(
      view.authorities.map((a: { state: string }) => a.state),
      ['current', 'retired'],
    );
    assert.ok(view.authorities[1].retiredAt);
    // A retired CA's key is no longer kept.
    const [retired] = await stack.metadata(`SELECT key_sealed FROM certificate_authorities WHERE state = 'retired'`);
    assert.equal(retired.key_sealed, null);
    const events = await stack.metadata(`SELECT type FROM events WHERE type LIKE 'ca.%' ORDER BY created_at`);
    assert.deepEqual(
      events.map((e) => e.type),
      ['ca.rotated', 'ca.reissue-requested', 'ca.retired'],
    );
  });
});
