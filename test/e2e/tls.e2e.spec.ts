import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { assertSecretFiles } from '../support/containment';
import { servicesEnv } from '../support/services';
import { Stack, until } from '../support/stack';

interface Run {
  code: number;
  out: string;
}

/** Runs a program (argv, no shell) with extra env; its exit code and combined output. */
function run(argv: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code: code ?? -1, out })));
  });
}

interface Creds {
  username: string;
  password: string;
  database: string;
  host: string;
  port: number;
  uri: string;
  tls: { mode: string; serverName: string; ca: string; caUrl: string };
}

describe('TLS everywhere: a platform CA, a server certificate per database, verified by the real clients', () => {
  const stack = new Stack({ name: 'tls', env: { TLS_RENEW_INTERVAL_MS: '1000' } });
  const caDir = mkdtempSync(join(tmpdir(), 'dbaas-tls-ca-'));
  const caFile = join(caDir, 'ca.pem');
  let key = '';
  let caPem = '';
  const image = (name: string, tag: string) =>
    `${servicesEnv().IMAGE_REGISTRY ?? '127.0.0.1:5000'}/library/${name}:${tag}`;

  before(async () => {
    await stack.start();
    ({ key } = await stack.tenant('secure'));
  });
  after(() => stack.stop());

  async function create(name: string, engine: string, tls?: string): Promise<{ id: string; creds: Creds }> {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name, engine, plan: 'small', ...(tls ? { tls } : {}) },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
    const view = await stack.request('GET', `/v1/databases/${res.body.id}`, { key });
    assert.equal(view.body.tls, tls ?? 'required', 'the database view says its TLS mode (required by default)');
    const creds = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body as Creds;
    assert.equal(creds.tls.mode, tls ?? 'required');
    assert.equal(creds.tls.ca, caPem, 'the credentials carry the CA that signs the certificate');
    return { id: res.body.id, creds };
  }

  /** The serial of the certificate a database serves, through a client that verifies it against the CA. */
  async function servedSerial(engine: string, c: Creds): Promise<string> {
    if (engine === 'postgresql') {
      let serial = '';
      const pg = new Client({
        host: c.host,
        port: c.port,
        user: c.username,
        password: c.password,
        database: c.database,
        ssl: {
          ca: caPem,
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
    if (engine === 'mariadb') {
      const my = await createConnection({
        host: c.host,
        port: c.port,
        user: c.username,
        password: c.password,
        // mysql2 checks no name when it dials an address: the name is checked here (the mariadb client checks it above).
        ssl: { ca: caPem },
      });
      const stream = (my as unknown as { connection: { stream: { getPeerCertificate(): PeerCertificate } } }).connection
        .stream;
      const cert = stream.getPeerCertificate();
      assert.equal(checkServerIdentity(c.tls.serverName, cert), undefined);
      const serial = cert.serialNumber;
      await my.end();
      return serial;
    }
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host: c.host, port: c.port, ca: caPem }, () => {
        const serial = s.getPeerCertificate().serialNumber;
        s.end();
        resolve(serial);
      });
      s.on('error', reject);
    });
  }

  test('GET /v1/ca.pem serves the platform CA, made at first start, its key sealed with the master key', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/ca.pem`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/x-pem-file/);
    caPem = await res.text();
    writeFileSync(caFile, caPem);
    const ca = new X509Certificate(caPem);
    assert.ok(ca.ca, 'a CA certificate');
    assert.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey), 'self-signed');
    assert.ok(new Date(ca.validTo).getTime() > Date.now() + 5 * 365 * 86400_000, 'valid for years');
    const rows = await stack.metadata('SELECT cert_pem, key_sealed FROM certificate_authorities');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].cert_pem, caPem);
    assert.match(rows[0].key_sealed, /^v1:/, 'the key is sealed');
    assert.ok(!rows[0].key_sealed.includes('PRIVATE KEY'));
    // The same CA from every process and after a restart of the API: made once.
    const again = await stack.request('GET', '/v1/ca.pem', { key });
    assert.equal(again.body, caPem);
  });

  test('bad tls values are refused with 400 and nothing is created', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'bad-tls', engine: 'postgresql', plan: 'small', tls: 'optional' },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal((await stack.metadata(`SELECT 1 FROM databases WHERE name = 'bad-tls'`)).length, 0);
  });

  describe('PostgreSQL', () => {
    let req: { id: string; creds: Creds };
    const psql = (c: Creds, conninfo: string) =>
      run(['psql', '-X', '-qAt', '-d', conninfo, '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], {
        PGPASSWORD: c.password,
        PGCONNECT_TIMEOUT: '10',
      });
    const conninfo = (c: Creds, extra: string) =>
      `host=${c.host} port=${c.port} user=${c.username} dbname=${c.database} ${extra}`;

    test('required (the default): psql with sslmode=verify-full connects; clear text and a wrong host name are refused', async () => {
      req = await create('orders-required', 'postgresql');
      const c = req.creds;
      assert.match(c.uri, /^postgresql:\/\/.*\?sslmode=verify-full&sslrootcert=/, c.uri);
      // The certificate, its key, the CA and the platform's pg_hba: files of the engine's user, 0600, beside the password.
      assertSecretFiles(stack, req.id, ['postgres_password', 'tls_cert', 'tls_key', 'tls_ca', 'pg_hba_required']);
      const ok = await psql(c, conninfo(c, `sslmode=verify-full sslrootcert=${caFile}`));
      assert.equal(ok.code, 0, ok.out);
      assert.equal(ok.out.trim(), 't', 'the session is encrypted');
      const clear = await psql(c, conninfo(c, 'sslmode=disable'));
      assert.notEqual(clear.code, 0, 'clear text refused');
      assert.match(clear.out, /no encryption|pg_hba/i, clear.out);
      // The server's certificate names 127.0.0.1, not this name: libpq refuses it.
      const wrong = await psql(
        c,
        `${conninfo(c, `sslmode=verify-full sslrootcert=${caFile}`)} host=wrong.example hostaddr=${c.host}`,
      );
      assert.notEqual(wrong.code, 0, wrong.out);
      assert.match(wrong.out, /does not match host name/i, wrong.out);
    });

    let preferred: { id: string; creds: Creds };
    test('preferred: clear text and verified TLS are both accepted', async () => {
      preferred = await create('orders-preferred', 'postgresql', 'preferred');
      const c = preferred.creds;
      assert.doesNotMatch(c.uri, /sslmode=verify-full/, 'the URI stays as before for preferred databases');
      const clear = await psql(c, conninfo(c, 'sslmode=disable'));
      assert.equal(clear.code, 0, clear.out);
      assert.equal(clear.out.trim(), 'f');
      const ok = await psql(c, conninfo(c, `sslmode=verify-full sslrootcert=${caFile}`));
      assert.equal(ok.code, 0, ok.out);
      assert.equal(ok.out.trim(), 't');
    });

    test('PUT /v1/databases/:id/tls: a preferred database becomes required through a restart', async () => {
      const bad = await stack.request('PUT', `/v1/databases/${preferred.id}/tls`, { key, body: { mode: 'strict' } });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      const res = await stack.request('PUT', `/v1/databases/${preferred.id}/tls`, { key, body: { mode: 'required' } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal((await stack.waitOperation(key, res.body.operationId)).status, 'succeeded');
      assert.equal((await stack.request('GET', `/v1/databases/${preferred.id}`, { key })).body.tls, 'required');
      const c = (await stack.request('GET', `/v1/databases/${preferred.id}/credentials`, { key })).body as Creds;
      assert.match(c.uri, /sslmode=verify-full/);
      assert.notEqual((await psql(c, conninfo(c, 'sslmode=disable'))).code, 0, 'clear text refused now');
      const ok = await psql(c, conninfo(c, `sslmode=verify-full sslrootcert=${caFile}`));
      assert.equal(ok.code, 0, ok.out);
    });

    test('renewal: a new certificate is served after a reload, the container never restarts, sessions stay', async () => {
      await renewalCheck('postgresql', req);
    });
  });

  describe('MariaDB', () => {
    let req: { id: string; creds: Creds };
    /** The real mariadb client, from the engine's image, on the host's network. */
    const mariadb = (c: Creds, args: string[]) =>
      run([
        'docker',
        'run',
        '--rm',
        '--network',
        'host',
        '-v',
        `${caDir}:/ca:ro`,
        '-e',
        `MYSQL_PWD=${c.password}`,
        '--entrypoint',
        'mariadb',
        image('mariadb', '10.11'),
        '--protocol=TCP',
        '-P',
        String(c.port),
        '-u',
        c.username,
        '-N',
        '-e',
        "SHOW SESSION STATUS LIKE 'Ssl_version'",
        ...args,
      ]);

    test('required (the default): the client verifying the certificate connects; clear text and a wrong name are refused', async () => {
      req = await create('maria-required', 'mariadb');
      const c = req.creds;
      assert.match(c.uri, /^mysql:\/\/.*\?ssl-mode=VERIFY_IDENTITY/, c.uri);
      const ok = await mariadb(c, ['-h', c.host, '--ssl', '--ssl-ca=/ca/ca.pem', '--ssl-verify-server-cert']);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /Ssl_version\s+TLSv1\.[23]/, ok.out);
      const clear = await mariadb(c, ['-h', c.host, '--skip-ssl']);
      assert.notEqual(clear.code, 0, clear.out);
      // MariaDB 10.11 answers a clear-text login to a server requiring TLS as a refused login (1045); the same client
      // and password in clear text are accepted by a `preferred` database below.
      assert.match(clear.out, /insecure transport|secure_transport|Access denied/i, clear.out);
      // localhost reaches the same server over TCP, but the certificate names 127.0.0.1 only.
      const wrong = await mariadb(c, ['-h', 'localhost', '--ssl', '--ssl-ca=/ca/ca.pem', '--ssl-verify-server-cert']);
      assert.notEqual(wrong.code, 0, wrong.out);
      assert.match(wrong.out, /certificate|hostname|match/i, wrong.out);
    });

    test('preferred: clear text and verified TLS are both accepted', async () => {
      const { creds: c } = await create('maria-preferred', 'mariadb', 'preferred');
      const clear = await mariadb(c, ['-h', c.host, '--skip-ssl']);
      assert.equal(clear.code, 0, clear.out);
      const ok = await mariadb(c, ['-h', c.host, '--ssl', '--ssl-ca=/ca/ca.pem', '--ssl-verify-server-cert']);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /TLSv1\.[23]/, ok.out);
    });

    test('renewal: FLUSH SSL serves the new certificate without a restart', async () => {
      await renewalCheck('mariadb', req);
    });
  });

  describe('Redis', () => {
    let req: { id: string; creds: Creds };
    const cli = (c: Creds, args: string[]) =>
      run([
        'redis-cli',
        '-h',
        c.host,
        '-p',
        String(c.port),
        '--user',
        c.username,
        '--pass',
        c.password,
        '--no-auth-warning',
        ...args,
        'PING',
      ]);

    test('required (the default): redis-cli --tls with the CA answers; clear text and a wrong name are refused', async () => {
      req = await create('cache-required', 'redis');
      const c = req.creds;
      assert.match(c.uri, /^rediss:\/\/default:/, c.uri);
      const ok = await cli(c, ['--tls', '--cacert', caFile]);
      assert.equal(ok.code, 0, ok.out);
      assert.equal(ok.out.trim(), 'PONG');
      const clear = await cli(c, []);
      assert.notEqual(clear.out.trim(), 'PONG', clear.out);
      // A node client checking the host name: the certificate does not name wrong.example.
      const r = new Redis({
        host: c.host,
        port: c.port,
        username: c.username,
        password: c.password,
        tls: { ca: caPem, servername: 'wrong.example', rejectUnauthorized: true },
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      const errors: Error[] = [];
      r.on('error', (e: Error) => errors.push(e));
      await assert.rejects(r.connect());
      r.disconnect();
      assert.ok(
        errors.some((e) => /altnames|does not match/i.test(e.message)),
        errors.map((e) => e.message).join('; '),
      );
      const good = new Redis(c.uri, { tls: { ca: caPem }, lazyConnect: true, maxRetriesPerRequest: 0 });
      await good.connect();
      assert.equal(await good.ping(), 'PONG', 'the rediss:// URI works with the CA');
      good.disconnect();
    });

    test('renewal: CONFIG SET tls-cert-file serves the new certificate without a restart', async () => {
      await renewalCheck('redis', req);
    });
  });

  /**
   * Makes the stored certificate look due (its expiry within the renewal window) and waits for the worker's renewal:
   * the database then serves a new certificate that chains to the CA, from the same container (never restarted),
   * and a session opened before is still answered.
   */
  async function renewalCheck(engine: string, db: { id: string; creds: Creds }) {
    const c = db.creds;
    const [container] = await stack.containersOf(db.id);
    const before = await stack.docker.getContainer(container.Id).inspect();
    const oldSerial = await servedSerial(engine, c);
    const [stored] = await stack.metadata('SELECT tls_cert FROM databases WHERE id = $1', [db.id]);
    assert.equal(new X509Certificate(stored.tls_cert).serialNumber, oldSerial, 'it serves the stored certificate');
    const session = await openSession(engine, c);
    await stack.metadata(`UPDATE databases SET tls_not_after = now() + interval '1 hour' WHERE id = $1`, [db.id]);
    const newSerial = await until(
      'a new certificate served',
      async () => {
        const s = await servedSerial(engine, c).catch(() => '');
        return s && s !== oldSerial ? s : null;
      },
      60_000,
    );
    const [row] = await stack.metadata('SELECT tls_cert, tls_not_after, tls_applied_at FROM databases WHERE id = $1', [
      db.id,
    ]);
    const cert = new X509Certificate(row.tls_cert);
    assert.equal(cert.serialNumber, newSerial, 'the new stored certificate is the one served');
    assert.ok(cert.verify(new X509Certificate(caPem).publicKey), 'signed by the CA');
    assert.ok(new Date(row.tls_not_after).getTime() > Date.now() + 86400_000, 'valid well beyond the window');
    const afterInspect = await stack.docker.getContainer(container.Id).inspect();
    assert.equal(afterInspect.Id, before.Id, 'the same container');
    assert.equal(afterInspect.State.StartedAt, before.State.StartedAt, 'never restarted');
    assert.equal(afterInspect.RestartCount, before.RestartCount);
    assert.equal(await session.ask(), true, 'a session opened before the renewal is still answered');
    await session.close();
    const events = await stack.metadata(
      `SELECT type FROM events WHERE database_id = $1 AND type = 'database.certificate-renewed'`,
      [db.id],
    );
    assert.ok(events.length >= 1, 'the renewal is an event');
  }

  async function openSession(engine: string, c: Creds): Promise<{ ask(): Promise<boolean>; close(): Promise<void> }> {
    if (engine === 'postgresql') {
      const pg = new Client({
        host: c.host,
        port: c.port,
        user: c.username,
        password: c.password,
        database: c.database,
        ssl: { ca: caPem },
      });
      await pg.connect();
      return { ask: async () => (await pg.query('SELECT 1 AS x')).rows[0].x === 1, close: () => pg.end() };
    }
    if (engine === 'mariadb') {
      const my = await createConnection({
        host: c.host,
        port: c.port,
        user: c.username,
        password: c.password,
        ssl: { ca: caPem },
      });
      return {
        ask: async () => ((await my.query('SELECT 1 AS x'))[0] as { x: number }[])[0].x === 1,
        close: () => my.end(),
      };
    }
    const r = new Redis(c.uri, { tls: { ca: caPem } });
    await r.ping();
    return { ask: async () => (await r.ping()) === 'PONG', close: async () => void r.disconnect() };
  }
});
