import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { describe, test } from 'node:test';
import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import { PeculiarCertificateToolkit } from '@app/security/x509';
import { DAY_MS, DEFAULT_TLS_POLICY, renewalDecision, serverNames } from '@app/domain/tls/certificate-policy';
import { CA_FILE_NAME, ENGINES, pgHba, tlsFiles } from '@app/domain/engines';
import { buildContainerSpec, hostPreparation } from '@app/domain/databases/runtime/container-spec';
import { replaceFiles } from '@app/domain/databases/runtime/host-preparation';
import type { CertificateFacts } from '@app/domain/ports';
import { FakeExecutor, ok } from '../../../support/fake-executor';

const x509 = new PeculiarCertificateToolkit();
const now = new Date('2027-03-01T12:00:00Z');
const days = (n: number) => new Date(now.getTime() + n * DAY_MS);

async function authority() {
  return x509.createAuthority({ commonName: 'Test CA', notBefore: days(-1), notAfter: days(3650) });
}

/** A TLS handshake in this process: a server with `pem`, a client trusting `ca` and checking `servername`. */
async function handshake(pem: { certPem: string; keyPem: string }, ca: string, servername: string): Promise<void> {
  const server = createServer({ cert: pem.certPem, key: pem.keyPem }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port, ca, servername }, () => (c.end(), resolve()));
      c.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('the platform CA and server certificates (@peculiar/x509)', () => {
  test('the CA is a self-signed CA that may sign end certificates only', async () => {
    const ca = await authority();
    const c = new X509Certificate(ca.certPem);
    assert.equal(c.ca, true);
    assert.ok(c.checkIssued(c) && c.verify(c.publicKey));
    assert.match(c.subject, /CN=Test CA/);
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(c.publicKey.asymmetricKeyType, 'ec');
  });

  test('a server certificate names its endpoint (DNS and IP), is signed by the CA and passes a real handshake', async () => {
    const ca = await authority();
    const pem = await x509.issueServer(ca, {
      commonName: 'db1.example',
      dnsNames: ['db1.example'],
      ipAddresses: ['127.0.0.1', '2001:db8::10'],
      notBefore: days(-1),
      notAfter: days(90),
    });
    const facts = x509.describe(pem.certPem);
    assert.deepEqual(facts.dnsNames, ['db1.example']);
    assert.deepEqual(facts.ipAddresses.slice(0, 1), ['127.0.0.1']);
    assert.equal(facts.ipAddresses.length, 2);
    assert.equal(facts.notAfter.getTime(), days(90).getTime());
    assert.equal(new X509Certificate(pem.certPem).ca, false, 'cannot sign others');
    assert.equal(x509.issuedBy(pem.certPem, ca.certPem), true);
    const other = await authority();
    assert.equal(x509.issuedBy(pem.certPem, other.certPem), false, 'another CA did not sign it');
    // Each certificate gets its own serial and key.
    const again = await x509.issueServer(ca, {
      ...facts,
      commonName: 'db1.example',
      notBefore: days(-1),
      notAfter: days(90),
    });
    assert.notEqual(x509.describe(again.certPem).serial, facts.serial);
    assert.notEqual(again.keyPem, pem.keyPem);

    // Valid now (the certificates above are for a date to come).
    const live = await x509.createAuthority({
      commonName: 'Live CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + DAY_MS),
    });
    const real = await x509.issueServer(live, {
      commonName: '127.0.0.1',
      dnsNames: ['db1.example'],
      ipAddresses: ['127.0.0.1'],
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + DAY_MS),
    });
    await handshake(real, live.certPem, 'db1.example');
    await assert.rejects(handshake(real, live.certPem, 'other.example'), /altnames|does not match/i);
    await assert.rejects(handshake(real, other.certPem, 'db1.example'), /self.signed|unable to verify|local issuer/i);
  });

  test('names that are not names are refused', async () => {
    const ca = await authority();
    const req = { commonName: 'x', dnsNames: [], notBefore: days(-1), notAfter: days(1) };
    await assert.rejects(x509.issueServer(ca, { ...req, ipAddresses: ['300.1.1.1'] }), /not an IP/);
    await assert.rejects(x509.issueServer(ca, { ...req, ipAddresses: [] }), /at least one name/);
    await assert.rejects(
      x509.issueServer(ca, { ...req, commonName: 'a,CN=evil', ipAddresses: ['10.0.0.1'] }),
      /unsafe/,
    );
  });
});

describe('serverNames: the endpoint a certificate must carry', () => {
  test('a database on a host: the host address', () => {
    assert.deepEqual(serverNames({ vip: null }, { address: '192.0.2.10' }), {
      commonName: '192.0.2.10',
      dnsNames: [],
      ipAddresses: ['192.0.2.10'],
    });
  });
  test('an HA database: its VIP (the endpoint) and the host name', () => {
    assert.deepEqual(serverNames({ vip: '10.0.0.101' }, { address: 'db-a.example' }), {
      commonName: '10.0.0.101',
      dnsNames: ['db-a.example'],
      ipAddresses: ['10.0.0.101'],
    });
  });
});

describe('renewalDecision', () => {
  const wanted = { commonName: '192.0.2.10', dnsNames: [], ipAddresses: ['192.0.2.10'] };
  const facts = (p: Partial<CertificateFacts> = {}): CertificateFacts => ({
    serial: '01',
    notBefore: days(-10),
    notAfter: days(80),
    dnsNames: [],
    ipAddresses: ['192.0.2.10'],
    ...p,
  });
  const decide = (f: CertificateFacts | null, extra: Partial<Parameters<typeof renewalDecision>[0]> = {}) =>
    renewalDecision({
      current: f ? { facts: f, issuedByCa: true } : null,
      wanted,
      now,
      policy: DEFAULT_TLS_POLICY,
      ...extra,
    });

  test('no certificate: issue one', () => {
    assert.deepEqual(decide(null), { renew: true, reason: 'missing', detail: 'no certificate yet' });
  });
  test('a valid certificate far from expiry for the right names: kept', () => {
    assert.equal(decide(facts()).renew, false);
  });
  test('within the renewal window (30 days by default): renewed; just outside: kept', () => {
    assert.equal(decide(facts({ notBefore: days(-61), notAfter: days(29) })).reason, 'expiring');
    assert.equal(decide(facts({ notBefore: days(-59), notAfter: days(31) })).renew, false);
    assert.equal(decide(facts({ notBefore: days(-91), notAfter: days(-1) })).reason, 'expiring', 'expired');
  });
  test('the stored expiry may bring the renewal closer, never push it away', () => {
    assert.equal(decide(facts(), { storedNotAfter: days(1) }).reason, 'expiring');
    assert.equal(decide(facts({ notAfter: days(5) }), { storedNotAfter: days(365) }).reason, 'expiring');
  });
  test('a short-lived certificate renews at half its life, not on every round', () => {
    const short = facts({ notBefore: days(-1), notAfter: days(9) });
    assert.equal(decide(short).renew, false, '9 of 10 days left: kept although under 30 days');
    assert.equal(decide(facts({ notBefore: days(-6), notAfter: days(4) })).reason, 'expiring');
  });
  test('another endpoint (moved host, new VIP) or another CA: reissued at once', () => {
    assert.equal(decide(facts({ ipAddresses: ['192.0.2.11'] })).reason, 'names');
    assert.equal(decide(facts({ dnsNames: ['old.example'] })).reason, 'names');
    assert.equal(
      renewalDecision({ current: { facts: facts(), issuedByCa: false }, wanted, now, policy: DEFAULT_TLS_POLICY })
        .reason,
      'issuer',
    );
  });
  test('IPv6 and DNS names compare in one spelling', () => {
    const w6 = serverNames({ vip: null }, { address: '2001:DB8::10' });
    const f6 = facts({ ipAddresses: ['2001:db8:0:0:0:0:0:10'] });
    assert.equal(
      renewalDecision({ current: { facts: f6, issuedByCa: true }, wanted: w6, now, policy: DEFAULT_TLS_POLICY }).renew,
      false,
    );
    const wd = serverNames({ vip: null }, { address: 'DB.Example' });
    const fd = facts({ ipAddresses: [], dnsNames: ['db.example'] });
    assert.equal(
      renewalDecision({ current: { facts: fd, issuedByCa: true }, wanted: wd, now, policy: DEFAULT_TLS_POLICY }).renew,
      false,
    );
  });
});

describe('engines: TLS arguments, files and URIs per mode', () => {
  const ctx = { username: 'app_user', password: 'Pw3xYz', dbName: 'orders_db', adminPassword: 'Adm1nPw' };
  const pem = { certPem: 'CERT\n', keyPem: 'KEY\n', caPem: 'CA\n' };

  test('PostgreSQL: ssl on with the mounted files and the platform pg_hba of the mode; verify-full URI when required', () => {
    const pg = ENGINES.postgresql;
    const cmd = pg.cmd({ ...ctx, tls: 'required' })!;
    assert.equal(cmd[0], 'postgres');
    for (const arg of [
      'ssl=on',
      'ssl_cert_file=/run/secrets/dbaas/tls_cert',
      'ssl_key_file=/run/secrets/dbaas/tls_key',
      'hba_file=/run/secrets/dbaas/pg_hba_required',
    ])
      assert.ok(cmd.includes(arg), arg);
    assert.ok(pg.cmd({ ...ctx, tls: 'preferred' })!.includes('hba_file=/run/secrets/dbaas/pg_hba_preferred'));
    assert.equal(pg.cmd(ctx), undefined, 'no TLS mode: the image default');
    assert.equal(pgHba('required'), 'local all all trust\nhostssl all all all scram-sha-256\n');
    assert.equal(pgHba('preferred'), 'local all all trust\nhost all all all scram-sha-256\n');
    assert.deepEqual(Object.keys(tlsFiles(pg, 'required', pem)), ['tls_cert', 'tls_key', 'tls_ca', 'pg_hba_required']);
    assert.equal(
      pg.uri({ ...ctx, tls: 'required' }, 'db.example', 20001),
      `postgresql://app_user:Pw3xYz@db.example:20001/orders_db?sslmode=verify-full&sslrootcert=${CA_FILE_NAME}`,
    );
    assert.equal(
      pg.uri({ ...ctx, tls: 'preferred' }, 'db.example', 20001),
      'postgresql://app_user:Pw3xYz@db.example:20001/orders_db',
    );
  });

  test('MariaDB and MySQL: the certificate and key; required refuses insecure transport', () => {
    const maria = ENGINES.mariadb.cmd({ ...ctx, tls: 'required' });
    assert.deepEqual(maria, [
      'mariadbd',
      '--ssl-cert=/run/secrets/dbaas/tls_cert',
      '--ssl-key=/run/secrets/dbaas/tls_key',
      '--require-secure-transport=ON',
    ]);
    assert.deepEqual(ENGINES.mariadb.cmd({ ...ctx, tls: 'preferred' }), maria!.slice(0, 3));
    assert.equal(ENGINES.mysql.cmd({ ...ctx, tls: 'required' })![0], 'mysqld');
    assert.match(
      ENGINES.mariadb.uri({ ...ctx, tls: 'required' }, 'h', 3307),
      /\?ssl-mode=VERIFY_IDENTITY&ssl-ca=dbaas-ca\.pem$/,
    );
    assert.equal(
      ENGINES.mariadb.uri({ ...ctx, tls: 'preferred' }, 'h', 3307),
      'mysql://app_user:Pw3xYz@h:3307/orders_db',
    );
  });

  test('Redis: required speaks TLS only on its port (rediss://); preferred keeps the clear-text port', () => {
    const redis = ENGINES.redis;
    const cmd = redis.cmd({ ...ctx, tls: 'required' })!;
    const at = cmd.indexOf('--tls-port');
    assert.deepEqual(cmd.slice(at - 2, at + 2), ['--port', '0', '--tls-port', '6379']);
    assert.ok(cmd.includes('/run/secrets/dbaas/tls_cert') && cmd.includes('/run/secrets/dbaas/tls_key'));
    assert.deepEqual(redis.cmd({ ...ctx, tls: 'preferred' }), redis.cmd(ctx));
    assert.equal(redis.tls.offered('required'), true);
    assert.equal(redis.tls.offered('preferred'), false);
    assert.equal(redis.uri({ ...ctx, username: 'default', tls: 'required' }, 'h', 1), 'rediss://default:Pw3xYz@h:1/0');
    assert.equal(redis.uri({ ...ctx, username: 'default', tls: 'preferred' }, 'h', 1), 'redis://default:Pw3xYz@h:1/0');
  });

  test('MongoDB: requireTLS or preferTLS with the certificate and key in one file', () => {
    const cmd = ENGINES.mongodb.cmd({ ...ctx, tls: 'required' })!;
    assert.deepEqual(cmd.slice(0, 3), ['mongod', '--tlsMode', 'requireTLS']);
    assert.equal(ENGINES.mongodb.cmd({ ...ctx, tls: 'preferred' })![2], 'preferTLS');
    assert.equal(tlsFiles(ENGINES.mongodb, 'required', pem).tls_pem, 'CERT\nKEY\n');
    assert.match(
      ENGINES.mongodb.uri({ ...ctx, tls: 'required' }, 'h', 1),
      /authSource=admin&tls=true&tlsCAFile=dbaas-ca\.pem$/,
    );
  });
});

describe('the container and its host: TLS files beside the passwords', () => {
  const DB_ID = '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
  const db = (p: Partial<DatabaseEntity>) =>
    ({
      id: DB_ID,
      tenantId: '11111111-2222-4333-8444-555555555555',
      port: 20042,
      version: '7.0',
      ...p,
    }) as DatabaseEntity;
  const host = { id: 'h1', address: '192.0.2.10', dataRoot: '/srv/dbaas' } as HostEntity;
  const plan = { name: 'small', cpus: 0.5, memoryMb: 512, diskGb: 10 } as PlanEntity;
  const ctx = {
    username: 'default',
    password: 'Secr3tPw',
    dbName: 'c',
    adminPassword: 'Adm1nPw',
    tls: 'required' as const,
  };
  const pem = { certPem: 'CERT\n', keyPem: 'KEY\n', caPem: 'CA\n' };

  test('Redis (no password files) now mounts its secrets directory for the TLS files; the label says the mode', () => {
    const spec = buildContainerSpec({ db: db({ engine: 'redis' }), host, plan, hostPath: '/srv/v', ctx, tls: pem });
    assert.deepEqual(spec.binds[1], {
      hostPath: `/srv/dbaas/secrets/${DB_ID}`,
      containerPath: '/run/secrets/dbaas',
      readOnly: true,
    });
    assert.equal(spec.labels['dbaas.tls'], 'required');
    const prep = hostPreparation({ db: db({ engine: 'redis' }), host, hostPath: '/srv/v', ctx, tls: pem });
    assert.deepEqual(prep.secrets?.files, { tls_cert: 'CERT\n', tls_key: 'KEY\n', tls_ca: 'CA\n' });
    assert.throws(
      () => hostPreparation({ db: db({ engine: 'redis' }), host, hostPath: '/srv/v', ctx }),
      /no certificate/,
    );
  });

  test('a renewal replaces each file by writing beside it and renaming over it', async () => {
    const exec = new FakeExecutor().on(() => true, ok());
    await replaceFiles(exec, {
      root: '/srv/dbaas/secrets',
      dir: `/srv/dbaas/secrets/${DB_ID}`,
      uid: 999,
      gid: 999,
      files: { tls_cert: 'CERT\n' },
    });
    const dir = `/srv/dbaas/secrets/${DB_ID}`;
    assert.deepEqual(exec.argvs.slice(2), [
      ['dd', `of=${dir}/tls_cert_next`, 'status=none'],
      ['chown', '999:999', '--', `${dir}/tls_cert_next`],
      ['chmod', '0600', '--', `${dir}/tls_cert_next`],
      ['mv', '-f', '-T', '--', `${dir}/tls_cert_next`, `${dir}/tls_cert`],
    ]);
    assert.equal(exec.calls[2].opts.input, 'CERT\n', 'the content on stdin, never in an argument');
  });
});
