import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redact } from '../../libs/domain/src/audit/audit-log.service';

describe('audit: what an operator action leaves in the log', () => {
  test('secrets are masked at any depth; the rest is kept', () => {
    const body = {
      name: 'host1',
      sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----',
      fencing: { driver: 'command', command: ['/bin/true'], apiToken: 't0k3n' },
      users: [{ login: 'a', password: 'hunter2' }],
      capacity: { cpus: 4 },
    };
    assert.deepEqual(redact(body), {
      name: 'host1',
      sshPrivateKey: '***',
      fencing: { driver: 'command', command: ['/bin/true'], apiToken: '***' },
      users: [{ login: 'a', password: '***' }],
      capacity: { cpus: 4 },
    });
    // The caller's object is not touched.
    assert.equal(body.sshPrivateKey, '-----BEGIN OPENSSH PRIVATE KEY-----');
  });

  test('the size is bounded: long strings, long arrays and deep nesting are cut', () => {
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    assert.deepEqual(redact(deep), { a: { b: { c: { d: { e: '…' } } } } });
    const long = redact({ s: 'x'.repeat(2000) }) as { s: string };
    assert.equal(long.s.length, 501);
    assert.equal((redact({ list: Array.from({ length: 500 }, (_, i) => i) }) as { list: number[] }).list.length, 50);
    assert.equal(redact(null), null);
    assert.equal(redact(7), 7);
  });
});
