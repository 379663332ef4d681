import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { HOST, platformCertificates } from '../../../../support/fake-tls-store';

const certs = (bundle: string) =>
  (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );

describe('PlatformCertificates: the CA, its rotation and the bundle', () => {
  test('first use makes one CA, its key sealed; the bundle is that CA alone', async () => {
    const { certificates, authorities } = platformCertificates();
    const ca = await certificates.authority();
    assert.equal(authorities.rows.length, 1);
    assert.equal(authorities.rows[0].name, 'platform');
    assert.match(authorities.rows[0].keySealed!, /^v1:/);
    assert.ok(!authorities.rows[0].keySealed!.includes('PRIVATE KEY'));
    assert.equal(await certificates.caPem(), ca.certPem, 'exactly the CA, as before rotations existed');
    assert.equal((await certificates.authority()).certPem, ca.certPem, 'made once');
  });

  test('rotate: a new CA signs, the bundle is the new CA then the old one, both keys sealed', async () => {
    const { certificates, authorities } = platformCertificates();
    const old = await certificates.authority();
    const next = await certificates.rotate(null, new Date('2027-01-02T03:04:05.678Z'));
    assert.equal(next.state, 'current');
    assert.match(next.name, /^platform-20270102T030405Z-[0-9a-f]{6}$/);
    const now = await certificates.authority();
    assert.notEqual(now.certPem, old.certPem);
    assert.match(new X509Certificate(now.certPem).subject, /CN=DBaaS platform CA 2027-01-02T03:04:05Z/);
    const bundle = certs(await certificates.caPem());
    assert.deepEqual(
      bundle.map((c) => c.fingerprint256),
      [new X509Certificate(now.certPem).fingerprint256, new X509Certificate(old.certPem).fingerprint256],
    );
    assert.deepEqual(
      authorities.rows.map((r) => [r.state, /^v1:/.test(r.keySealed ?? '')]),
      [
        ['previous', true],
        ['current', true],
      ],
    );
  });

  test('a certificate of a previous CA is kept until its renewal, unless the operator asked for it sooner', async () => {
    const { certificates, databases } = platformCertificates();
    const db = databases.add({});
    const first = await certificates.ensure(db, HOST);
    assert.ok(first.issued);
    await certificates.rotate(null);
    const later = new Date(Date.now() + 86400_000);
    assert.equal((await certificates.decide(db, HOST, later)).renew, false, 'at-renewal: kept');
    // Its renewal comes: a new certificate, signed by the new CA.
    const due = new Date(Date.now() + 70 * 86400_000);
    const renewed = await certificates.ensure(db, HOST, due);
    assert.equal(renewed.issued?.reason, 'expiring');
    const current = await certificates.authority();
    assert.ok(new X509Certificate(renewed.certPem).verify(new X509Certificate(current.certPem).publicKey));
    assert.equal(renewed.caPem, await certificates.caPem(), 'the engine gets the whole bundle');

    const other = databases.add({});
    await certificates.ensure(other, HOST);
    await certificates.rotate(null);
    assert.equal((await certificates.decide(other, HOST, later)).renew, false);
    assert.equal(await certificates.reissuePrevious(new Date()), 2);
    const decision = await certificates.decide(other, HOST, later);
    assert.deepEqual([decision.renew, decision.reason], [true, 'issuer']);
  });

  test('rotate with a re-issue time: certificates of the old CA are replaced from then', async () => {
    const { certificates, databases } = platformCertificates();
    const db = databases.add({});
    await certificates.ensure(db, HOST);
    const at = new Date(Date.now() + 3600_000);
    await certificates.rotate(at);
    assert.equal((await certificates.decide(db, HOST, new Date())).renew, false);
    assert.equal((await certificates.decide(db, HOST, new Date(at.getTime() + 1))).reason, 'issuer');
  });

  test('view: each CA, its state and how many certificates it signed; a retired CA leaves the bundle', async () => {
    const { certificates, databases, authorities } = platformCertificates();
    const a = databases.add({});
    const b = databases.add({ status: 'stopped' });
    databases.add({ status: 'deleted', tlsCert: null });
    await certificates.ensure(a, HOST);
    await certificates.ensure(b, HOST);
    const old = authorities.rows[0].name;
    await certificates.rotate(null);
    await certificates.ensure(a, HOST, new Date(Date.now() + 70 * 86400_000));
    const view = await certificates.view();
    assert.deepEqual(
      view.authorities.map((c) => [c.state, c.certificates]),
      [
        ['current', 1],
        ['previous', 1],
      ],
    );
    assert.equal(view.authorities[1].name, old);
    assert.equal(view.reloadsPending, 1, 'a renewed, not yet applied to its running engine');
    assert.equal(certs(view.bundle).length, 2);
    assert.match(view.authorities[0].fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(await certificates.retire(old), true);
    assert.equal(await certificates.retire(old), false, 'only a previous CA retires');
    assert.equal(certs(await certificates.caPem()).length, 1);
    assert.equal(authorities.rows.find((r) => r.name === old)!.keySealed, null, 'its key dropped');
    const after = await certificates.view();
    assert.deepEqual(
      after.authorities.map((c) => c.state),
      ['current', 'retired'],
    );
  });
});
