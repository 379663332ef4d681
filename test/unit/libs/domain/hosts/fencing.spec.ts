import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { fencingView, sealFencing } from '@app/domain/hosts/fencing';
import { RegisterHostCommand } from '@app/domain/hosts/use-cases/register-host/register-host.command';
import { SecretBox } from '@app/security/secret-box';

describe('fencing configuration: validated, secrets sealed, never shown', () => {
  const base = { name: 'host-1', address: '10.0.0.1', capacity: { cpus: 1, memoryMb: 512, diskGb: 1 } };
  const problems = (fencing: unknown) => {
    try {
      RegisterHostCommand.create({ ...base, fencing });
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };

  test('an argv, an unknown driver, a bad agent name or bad params are refused with a clear message', () => {
    for (const [fencing, why] of [
      [{ driver: 'command', command: ['/bin/true'] }, /an argv is not accepted: choose an agent from the allow-list/],
      [{ driver: 'agent', agent: 'fence_x', command: ['/bin/true'] }, /an argv is not accepted/],
      [['/usr/sbin/fence_ipmilan', '-o', 'off'], /an argv is not accepted/],
      [{ driver: 'ipmi' }, /driver must be "agent" or "ssh"/],
      [{ driver: 'agent', agent: '/usr/sbin/fence_ipmilan' }, /fencing.agent/],
      [{ driver: 'agent', agent: 'Fence' }, /fencing.agent/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: 'a\nb' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: '' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: 'x'.repeat(257) } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { IP: '1' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { action: 'on' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: 5 } }, /fencing.params/],
      [
        {
          driver: 'agent',
          agent: 'fence_x',
          params: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, 'v'])),
        },
        /fencing.params/,
      ],
      [{ driver: 'agent', agent: 'fence_x', timeoutSec: 0 }, /timeoutSec/],
      [{ driver: 'agent', agent: 'fence_x', timeoutSec: 301 }, /timeoutSec/],
      [{ driver: 'agent', agent: 'fence_x', sshPoweroff: 'yes' }, /sshPoweroff/],
      [{ driver: 'agent', agent: 'fence_x', extra: 1 }, /unknown field "extra"/],
      [{ driver: 'ssh', timeoutSec: 3 }, /takes no other field/],
    ] as const) {
      assert.match(problems(fencing) ?? 'accepted', why, JSON.stringify(fencing));
    }
    assert.equal(problems({ driver: 'ssh' }), null);
    assert.equal(
      problems({
        driver: 'agent',
        agent: 'fence_ipmilan',
        params: { ip: '10.0.0.5', password: 'p' },
        timeoutSec: 300,
        sshPoweroff: false,
      }),
      null,
    );
    // The refusal never repeats a value (it may be a password).
    assert.doesNotMatch(problems({ driver: 'agent', agent: 'fence_x', params: { password: 'hunter2\n' } })!, /hunter2/);
  });

  test('secret params are sealed; the view shows their names only', () => {
    const box = new SecretBox(randomBytes(32).toString('base64'));
    const stored = sealFencing(
      {
        driver: 'agent',
        agent: 'fence_ipmilan',
        params: {
          ip: '10.0.0.5',
          username: 'admin',
          password: 's3cret',
          snmp_community: 'c0mm',
          api_key: 'k',
          passwd: 'p2',
        },
        timeoutSec: 20,
      },
      box,
    );
    assert.ok(stored && stored.driver === 'agent');
    assert.deepEqual(stored.params, { ip: '10.0.0.5', username: 'admin' });
    assert.deepEqual(Object.keys(stored.sealedParams).sort(), ['api_key', 'passwd', 'password', 'snmp_community']);
    assert.equal(box.open(stored.sealedParams.password), 's3cret');
    assert.doesNotMatch(JSON.stringify(stored), /s3cret|c0mm/);
    assert.deepEqual(fencingView(stored), {
      driver: 'agent',
      agent: 'fence_ipmilan',
      params: {
        ip: '10.0.0.5',
        username: 'admin',
        password: '***',
        snmp_community: '***',
        api_key: '***',
        passwd: '***',
      },
      timeoutSec: 20,
      sshPoweroff: true,
    });
    // "***" (as shown) keeps the stored secret of the same agent; with nothing stored it is refused.
    const kept = sealFencing(
      { driver: 'agent', agent: 'fence_ipmilan', params: { ip: '10.0.0.6', password: '***' } },
      box,
      stored,
    );
    assert.ok(kept?.driver === 'agent');
    assert.equal(kept.sealedParams.password, stored.sealedParams.password);
    assert.throws(
      () => sealFencing({ driver: 'agent', agent: 'fence_other', params: { password: '***' } }, box, stored),
      /keeps the stored secret/,
    );
    assert.throws(
      () => sealFencing({ driver: 'agent', agent: 'fence_ipmilan', params: { password: '***' } }, box),
      /keeps the stored secret/,
    );
    assert.deepEqual(fencingView({ driver: 'ssh' }), { driver: 'ssh' });
    assert.equal(fencingView(null), null);
    // A row of the old kind still in memory never leaks its argv.
    assert.equal(fencingView({ driver: 'command', command: ['/x', 'pw'] } as never), null);
  });
});
