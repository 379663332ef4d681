import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import type { DatabaseEntity } from '../../../../../libs/persistence/src/entities';
import { CertificateRenewal } from '../../../../../libs/domain/src/tls/certificate-renewal.service';
import type { ServerCertificate } from '../../../../../libs/domain/src/tls/platform-certificates.service';
import { HOST, platformCertificates } from '../../../../support/fake-tls-store';

/** The renewal over in-memory tables; the runtime "reloads" by recording what it was handed. */
function setup(opts: { reloadFails?: boolean } = {}) {
  const t = platformCertificates();
  const events: { type: string; message: string }[] = [];
  const applied: { id: string; cert: ServerCertificate }[] = [];
  const runtime = {
    loadLive: async (id: string) => ({ db: (await t.databases.get(id))!, host: HOST, ctx: { tls: true } }),
    applyCertificate: async (l: { db: DatabaseEntity }, cert: ServerCertificate) => {
      if (opts.reloadFails) throw new Error('reload refused');
      applied.push({ id: l.db.id, cert });
      await t.databases.update(l.db.id, { tlsAppliedAt: new Date() });
      return true;
    },
  };
  const lock = { withLock: <T>(_key: string, fn: () => Promise<T>) => fn() };
  const renewal = new CertificateRenewal(
    t.databases as never,
    { get: async () => HOST } as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    lock as never,
    t.certificates,
    runtime as never,
  );
  const signedBy = async (id: string) => {
    const cert = new X509Certificate((await t.databases.get(id))!.tlsCert!);
    return t.authorities.rows.find((r) => cert.verify(new X509Certificate(r.certPem).publicKey))?.name;
  };
  return { ...t, renewal, events, applied, signedBy };
}

describe('CertificateRenewal: the rounds after a CA rotation', () => {
  test('at-renewal: nothing is re-issued early, and the old CA stays while its certificates are in use', async () => {
    const s = setup();
    const db = s.databases.add({});
    await s.renewal.tick(); // issued and applied
    const old = s.authorities.rows[0].name;
    await s.certificates.rotate(null);
    const round = await s.renewal.tick();
    assert.deepEqual(round, { renewed: 0, applied: 0, failed: 0, retired: 0 });
    assert.equal(await s.signedBy(db.id), old);
    assert.equal(s.authorities.rows.find((r) => r.name === old)!.state, 'previous');
  });

  test('re-issue now: running databases get the new CA and reload; stopped ones get it in the metadata; then the old CA retires', async () => {
    const s = setup();
    const running = s.databases.add({});
    const stopped = s.databases.add({});
    const busy = s.databases.add({});
    await s.renewal.tick();
    s.applied.length = 0;
    await s.databases.update(stopped.id, { status: 'stopped' });
    const old = s.authorities.rows[0].name;
    const next = await s.certificates.rotate(new Date());
    // A database in an operation is left alone (the operation issues its certificate, or the next round does).
    await s.databases.update(busy.id, { status: 'provisioning' });
    const first = await s.renewal.tick();
    assert.deepEqual([first.renewed, first.retired], [2, 0], 'the busy one still holds the old CA');
    assert.equal(await s.signedBy(running.id), next.name);
    assert.equal(await s.signedBy(stopped.id), next.name);
    assert.equal(await s.signedBy(busy.id), old);
    assert.ok(
      s.applied.some((a) => a.id === running.id && a.cert.issued?.reason === 'issuer'),
      'handed to the running engine',
    );
    assert.ok(!s.applied.some((a) => a.id === stopped.id), 'a stopped container is not touched');
    assert.equal((await s.databases.get(stopped.id))!.tlsAppliedAt, null, 'written at its next start');
    await s.databases.update(busy.id, { status: 'running' });
    const second = await s.renewal.tick();
    assert.deepEqual([second.renewed, second.retired], [1, 1]);
    assert.equal(s.authorities.rows.find((r) => r.name === old)!.state, 'retired');
    assert.deepEqual(s.events.filter((e) => e.type === 'ca.retired').length, 1);
    assert.equal((await s.renewal.tick()).retired, 0, 'once');
  });

  test('a running database whose new certificate its engine has not loaded keeps the old CA in the bundle', async () => {
    const s = setup({ reloadFails: true });
    s.databases.add({});
    await s.renewal.tick();
    await s.certificates.rotate(new Date());
    const round = await s.renewal.tick();
    assert.deepEqual([round.failed, round.retired], [1, 0]);
    assert.equal(s.authorities.rows.filter((r) => r.state === 'previous').length, 1);
  });

  test('without databases, a rotated CA retires at the next round', async () => {
    const s = setup();
    await s.certificates.authority();
    await s.certificates.rotate(null);
    assert.equal((await s.renewal.tick()).retired, 1);
  });
});
