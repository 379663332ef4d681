import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RotateCaCommand } from '../../../../../../../libs/domain/src/tls/use-cases/rotate-ca/rotate-ca.command';
import { RotateCaUseCase } from '../../../../../../../libs/domain/src/tls/use-cases/rotate-ca/rotate-ca.usecase';
import { ReissueCertificatesUseCase } from '../../../../../../../libs/domain/src/tls/use-cases/reissue-certificates/reissue-certificates.usecase';
import { platformCertificates } from '../../../../../../support/fake-tls-store';

function setup() {
  const t = platformCertificates();
  const events: { type: string; message: string }[] = [];
  const recorder = { record: async (e: { type: string; message: string }) => void events.push(e) } as never;
  return {
    ...t,
    events,
    rotate: new RotateCaUseCase(t.certificates, recorder),
    reissue: new ReissueCertificatesUseCase(t.certificates, recorder),
  };
}

describe('RotateCaUseCase', () => {
  test('the command takes at-renewal (the default) or now, nothing else', () => {
    assert.equal(RotateCaCommand.create({}).reissue, 'at-renewal');
    assert.equal(RotateCaCommand.create({ reissue: 'now' }).reissue, 'now');
    assert.throws(() => RotateCaCommand.create({ reissue: 'later' }), /reissue/);
    assert.throws(() => RotateCaCommand.create({ keyBits: 4096 }), /keyBits/);
  });

  test('at-renewal: the old CA is previous with no re-issue time; the event says so', async () => {
    const s = setup();
    const view = await s.rotate.execute(RotateCaCommand.create({}));
    assert.deepEqual(
      view.authorities.map((c) => [c.state, c.reissueAt]),
      [
        ['current', null],
        ['previous', null],
      ],
    );
    assert.equal(s.events[0].type, 'ca.rotated');
    assert.match(s.events[0].message, /at their renewal/);
  });

  test('now: the old CA’s certificates are due at once; reissue later brings a previous CA forward', async () => {
    const s = setup();
    const at = new Date('2027-02-01T00:00:00Z');
    const view = await s.rotate.execute(RotateCaCommand.create({ reissue: 'now' }), at);
    assert.equal(view.authorities[1].reissueAt, at.toISOString());
    assert.match(s.events[0].message, /next round/);

    const t = setup();
    await t.rotate.execute(RotateCaCommand.create({}));
    const after = await t.reissue.execute(at);
    assert.equal(after.authorities[1].reissueAt, at.toISOString());
    assert.equal(t.events[1].type, 'ca.reissue-requested');
  });

  test('reissue without a previous CA changes nothing and records nothing', async () => {
    const s = setup();
    const view = await s.reissue.execute();
    assert.equal(view.authorities.length, 1);
    assert.equal(s.events.length, 0);
  });
});
