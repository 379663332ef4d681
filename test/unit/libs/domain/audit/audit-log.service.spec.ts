import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuditLog, AuditRecord, redact } from '@app/domain/audit/audit-log.service';
import type { AuditRepository } from '@app/domain/ports';

describe('audit: what an operator action leaves in the log', () => {
  test('secrets are masked at any depth; the rest is kept', () => {
    const body = {
      name: 'host1',
      sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----',
      fencing: { driver: 'command', command: ['/bin/true'], apiToken: 't0k3n' },
      agent: { driver: 'agent', agent: 'fence_apc_snmp', params: { ip: '10.0.0.5', passwd: 'p', community: 'c' } },
      users: [{ login: 'a', password: 'hunter2' }],
      capacity: { cpus: 4 },
    };
    assert.deepEqual(redact(body), {
      name: 'host1',
      sshPrivateKey: '***',
      // An argv (refused since fence agents replaced it) may hold a password: kept out whole.
      fencing: { driver: 'command', command: '***', apiToken: '***' },
      agent: { driver: 'agent', agent: 'fence_apc_snmp', params: { ip: '10.0.0.5', passwd: '***', community: '***' } },
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

  // A fake repository: this is the logic of what an entry keeps, the e2e test covers the real write.
  const recorded = async (r: Partial<AuditRecord>) => {
    const rows: { detail: Record<string, unknown> }[] = [];
    const repo = { record: async (e: { detail: Record<string, unknown> }) => void rows.push(e) };
    await new AuditLog(repo as unknown as AuditRepository).record({
      actor: 'anonymous',
      method: 'POST',
      path: '/v1/databases',
      action: 'POST /v1/databases',
      target: null,
      statusCode: 201,
      address: '127.0.0.1',
      refused: false,
      body: {},
      ...r,
    });
    return rows[0].detail;
  };

  test('a refusal keeps the address, never the body', async () => {
    assert.deepEqual(
      await recorded({ refused: true, statusCode: 401, body: { name: 'guess', blob: 'x'.repeat(1e5) } }),
      {
        address: '127.0.0.1',
      },
    );
  });

  test('a body over 4 KB is kept as its outline', async () => {
    const detail = await recorded({ body: { name: 'big', items: Array.from({ length: 50 }, () => 'y'.repeat(400)) } });
    assert.equal(detail.truncated, true);
    assert.deepEqual(detail.keys, ['name', 'items']);
    assert.ok(JSON.stringify(detail).length <= 4096);
    assert.deepEqual(await recorded({ body: { name: 'small', password: 'hunter2' } }), {
      name: 'small',
      password: '***',
    });
  });
});
