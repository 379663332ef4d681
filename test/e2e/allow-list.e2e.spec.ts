import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { iptablesSave, removeRules, rulesOf } from '../support/allow-list-rules';
import { NetnsClient, NetnsClients } from '../support/netns-clients';
import { Stack } from '../support/stack';

/**
 * IP allow-lists, end to end: the platform's local host is this machine's dockerd, published on the machine's side
 * of a veth link to a client namespace; two client namespaces (tenants' machines on networks of their own) connect
 * to it from outside, through Docker's DNAT and the FORWARD chain, as remote tenants do.
 */

describe('IP allow-lists: enforced on the host in front of the published port', () => {
  const clients = new NetnsClients(2);
  let stack: Stack;
  let allowed: NetnsClient;
  let other: NetnsClient;
  let tenant: { id: string; key: string };
  let dbId = '';
  let port = 0;
  let creds: { username: string; password: string };
  const dbIds: string[] = [];

  before(async () => {
    clients.start();
    [allowed, other] = clients.clients;
    // The platform's host is this machine, reached by tenants at its side of the first client's link.
    stack = await new Stack({
      name: 'allow-list',
      // The periodic check re-applies lost rules: kept out of the way so the restart is what is seen to do it.
      env: { LOCAL_HOST_ADDRESS: allowed.gateway, CONTAINER_SAMPLE_INTERVAL_MS: '600000' },
    }).start();
    tenant = await stack.tenant('acme');
  });

  after(async () => {
    try {
      await stack?.stop();
    } finally {
      removeRules(dbIds);
      clients.destroy();
    }
  });

  /** `SELECT 1` over the engine's protocol from a client's namespace: 'ok', or psql's error line. */
  async function login(c: NetnsClient): Promise<string> {
    const r = await clients.run(
      c,
      [
        'psql',
        '-X',
        '-At',
        '-h',
        allowed.gateway,
        '-p',
        String(port),
        '-U',
        creds.username,
        '-d',
        creds.username,
        '-c',
        'SELECT 1',
      ],
      { env: { PGPASSWORD: creds.password, PGCONNECT_TIMEOUT: '3', PGSSLMODE: 'require' } },
    );
    return r.code === 0 && r.stdout.trim() === '1' ? 'ok' : r.stderr.trim().split('\n')[0];
  }

  const setList = (allowedCidrs: unknown, key = tenant.key) =>
    stack.request('PUT', `/v1/databases/${dbId}/allowed-cidrs`, { key, body: { allowedCidrs } });

  const containerStart = async () => {
    const [c] = await stack.containersOf(dbId);
    return (await stack.docker.getContainer(c.Id).inspect()).State.StartedAt;
  };

  test('bad entries at creation: 400 naming them, nothing created', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'shop', engine: 'postgresql', plan: 'small', allowedCidrs: ['10.1.0.0/8', '2001:DB8::/32'] },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body.message), /host bits set: the network is 10\.0\.0\.0\/8/);
    assert.match(JSON.stringify(res.body.message), /write 2001:db8::\/32/);
    assert.equal((await stack.metadata('SELECT id FROM databases')).length, 0);
    assert.equal((await stack.metadata('SELECT id FROM operations')).length, 0);
  });

  test('created with a list: the allowed source logs in, another is dropped at the network', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'shop', engine: 'postgresql', plan: 'small', allowedCidrs: [allowed.cidr] },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    dbIds.push(dbId);
    const op = await stack.waitOperation(tenant.key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
    const db = (await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body;
    assert.deepEqual(db.allowedCidrs, [allowed.cidr]);
    assert.equal(db.endpoint.host, allowed.gateway);
    port = db.endpoint.port;
    creds = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;

    const rules = rulesOf(dbId);
    assert.equal(rules.chains.length, 1, iptablesSave());
    assert.equal(rules.jumps.length, 1);
    assert.match(
      rules.jumps[0],
      new RegExp(`--ctorigdst ${allowed.gateway.replace(/\./g, '\\.')} --ctorigdstport ${port} `),
    );
    assert.deepEqual(
      rules.rules.map((r) => r.split(' ').slice(2).join(' ')),
      [`-s ${allowed.cidr} -j RETURN`, '-j DROP'],
    );

    assert.equal(await login(allowed), 'ok');
    // Not an answer from the engine (no "password authentication failed"): the SYN gets no reply at all.
    assert.equal(await clients.tcp(other, allowed.gateway, port), 'timeout');
    assert.match(await login(other), /timeout expired/);
  });

  test('an update takes effect without a restart; a bad one changes nothing', async () => {
    const started = await containerStart();
    const bad = await setList([other.cidr, '10.250.0.1/16']);
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.match(JSON.stringify(bad.body.message), /allowedCidrs\[1\].*host bits set/);
    const tooMany = await setList(Array.from({ length: 65 }, (_, i) => `10.251.${i}.0/24`));
    assert.equal(tooMany.status, 400);
    assert.equal((await setList('10.0.0.0/8')).status, 400);
    const unknownField = await stack.request('PUT', `/v1/databases/${dbId}/allowed-cidrs`, {
      key: tenant.key,
      body: { allowedCidrs: [], extra: 1 },
    });
    assert.equal(unknownField.status, 400);
    assert.deepEqual((await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body.allowedCidrs, [
      allowed.cidr,
    ]);
    assert.equal(
      (await stack.metadata(`SELECT id FROM operations WHERE type = 'update-allowed-cidrs'`)).length,
      0,
      'no operation for refused input',
    );

    // Another tenant's key: the database does not exist for it.
    const stranger = await stack.tenant('stranger');
    assert.equal((await setList([other.cidr], stranger.key)).status, 404);

    const res = await setList([other.cidr]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.allowedCidrs, [other.cidr]);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(await login(other), 'ok');
    assert.equal(await clients.tcp(allowed, allowed.gateway, port), 'timeout');
    assert.equal(await containerStart(), started, 'the container was not restarted');
    // The other generation's chain replaced the first one.
    const rules = rulesOf(dbId);
    assert.equal(rules.chains.length, 1);
    assert.match(rules.chains[0], /-b$/);
  });

  test('a restart keeps the rules, and puts back rules the host lost', async () => {
    const restart = async () => {
      const res = await stack.request('POST', `/v1/databases/${dbId}/restart`, { key: tenant.key });
      assert.equal(res.status, 202);
      const op = await stack.waitOperation(tenant.key, res.body.operationId, 120_000);
      assert.equal(op.status, 'succeeded', op.error);
    };
    await restart();
    assert.equal(await login(other), 'ok');
    assert.equal(await clients.tcp(allowed, allowed.gateway, port), 'timeout');

    // As after a host reboot or a firewall reload: the chain is gone, the database is open.
    removeRules([dbId]);
    assert.equal(await clients.tcp(allowed, allowed.gateway, port), 'open');
    await restart();
    assert.equal(rulesOf(dbId).chains.length, 1);
    assert.equal(await clients.tcp(allowed, allowed.gateway, port), 'timeout');
    assert.equal(await login(other), 'ok');
  });

  test('an empty list opens the database to anyone and leaves no rule', async () => {
    const res = await setList([]);
    assert.equal(res.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId)).status, 'succeeded');
    assert.deepEqual(rulesOf(dbId), { chains: [], jumps: [], rules: [] });
    assert.equal(await login(allowed), 'ok');
    assert.equal(await login(other), 'ok');
  });

  test('delete removes the rules', async () => {
    const set = await setList([allowed.cidr, '2001:db8::/32']);
    assert.equal((await stack.waitOperation(tenant.key, set.body.operationId)).status, 'succeeded');
    assert.equal(rulesOf(dbId).chains.length, 1);
    const del = await stack.request('DELETE', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
    assert.deepEqual(rulesOf(dbId), { chains: [], jumps: [], rules: [] });
  });
});
