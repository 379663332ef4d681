import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { iptablesSave, removeRules, rulesOf } from '../support/allow-list-rules';
import { NetnsClient, NetnsClients } from '../support/netns-clients';
import { NetnsDockerHost } from '../support/netns-docker-host';
import { Stack } from '../support/stack';

/**
 * An allow-listed database moved to another host keeps its list there. The first host is this machine's dockerd
 * (the platform's local host, published on the machine's side of the first client's link); the second is a network
 * namespace with a dockerd and an sshd of its own (test/support/netns-docker-host), registered as an SSH host: its
 * own netfilter tables, as another machine has. Both clients reach both hosts from outside. The worker's periodic
 * check, which puts back lost rules, is kept out of the way: what is seen is the move's own doing.
 */
describe('IP allow-lists: a moved database keeps enforcing its list on its new host', () => {
  const clients = new NetnsClients(2);
  const second = new NetnsDockerHost();
  let stack: Stack;
  let allowed: NetnsClient;
  let other: NetnsClient;
  let tenant: { id: string; key: string };
  let dbId = '';
  let secondId = '';
  let creds: { username: string; password: string };
  let endpoint = { host: '', port: 0 };
  const dbIds: string[] = [];

  before(async () => {
    clients.start();
    [allowed, other] = clients.clients;
    await second.start();
    stack = await new Stack({
      name: 'allow-list-move',
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
      await second.destroy();
    }
  });

  /** `SELECT 1` from a client's namespace to the database's endpoint: 'ok', or psql's first error line. */
  async function login(c: NetnsClient): Promise<string> {
    const argv = ['psql', '-X', '-At', '-h', endpoint.host, '-p', String(endpoint.port), '-U', creds.username];
    const r = await clients.run(c, [...argv, '-d', creds.username, '-c', 'SELECT 1'], {
      env: { PGPASSWORD: creds.password, PGCONNECT_TIMEOUT: '3', PGSSLMODE: 'require' },
    });
    return r.code === 0 && r.stdout.trim() === '1' ? 'ok' : r.stderr.trim().split('\n')[0];
  }

  const view = async () => (await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body;
  const jumpTo = (address: string, port: number) =>
    new RegExp(`--ctorigdst ${address.replace(/\./g, '\\.')} --ctorigdstport ${port} `);

  test('on its first host: the allowed source logs in, the other is dropped', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'shop', engine: 'postgresql', plan: 'small', allowedCidrs: [allowed.cidr] },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    dbIds.push(dbId);
    const op = await stack.waitOperation(tenant.key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
    endpoint = (await view()).endpoint;
    assert.equal(endpoint.host, allowed.gateway);
    creds = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;
    assert.equal(await login(allowed), 'ok');
    assert.equal(await clients.tcp(other, endpoint.host, endpoint.port), 'timeout');
  });

  test('moved to the second host: the list is in front of its new address, gone from the old one', async () => {
    // Registered only now, so that the database was placed on the first host. Its image is copied there (the
    // namespace cannot reach this machine's 127.0.0.1 registry).
    const [c] = await stack.containersOf(dbId);
    second.loadImage((await stack.docker.getContainer(c.Id).inspect()).Config.Image);
    const h = await stack.request('POST', '/admin/v1/hosts', {
      key: stack.operatorKey,
      body: second.registration('second'),
    });
    assert.equal(h.status, 201, JSON.stringify(h.body));
    secondId = h.body.id;
    const move = await stack.request('POST', `/admin/v1/databases/${dbId}/move`, {
      key: stack.operatorKey,
      body: { targetHostId: secondId },
    });
    assert.equal(move.status, 202, JSON.stringify(move.body));
    const op = await stack.waitOperation(tenant.key, move.body.operationId, 240_000);
    assert.equal(op.status, 'succeeded', op.error);

    const db = await view();
    assert.equal(db.status, 'running');
    assert.deepEqual(db.allowedCidrs, [allowed.cidr]);
    endpoint = db.endpoint;
    assert.equal(endpoint.host, second.address, 'published on the second host');
    const [row] = await stack.metadata('SELECT host_id FROM databases WHERE id = $1', [dbId]);
    assert.equal(row.host_id, secondId);

    // The first host (this machine) holds nothing of it any more; the second holds its chain and one jump.
    assert.deepEqual(rulesOf(dbId), { chains: [], jumps: [], rules: [] }, iptablesSave());
    const rules = rulesOf(dbId, second.iptablesSave());
    assert.equal(rules.chains.length, 1, second.iptablesSave());
    assert.equal(rules.jumps.length, 1);
    assert.match(rules.jumps[0], jumpTo(endpoint.host, endpoint.port));
    assert.deepEqual(
      rules.rules.map((r) => r.split(' ').slice(2).join(' ')),
      [`-s ${allowed.cidr} -j RETURN`, '-j DROP'],
    );
    assert.equal(second.docker('ps', '-q', '--filter', `label=dbaas.database=${dbId}`).split('\n').length, 1);
    assert.deepEqual(await stack.containersOf(dbId), [], 'no container left on the first host');

    // Enforced there: the allowed source logs in, the other's SYN gets no answer (not an engine's refusal).
    assert.equal(await login(allowed), 'ok');
    assert.equal(await clients.tcp(other, endpoint.host, endpoint.port), 'timeout');
    assert.match(await login(other), /timeout expired/);
  });

  test('an update after the move is applied on the new host', async () => {
    const res = await stack.request('PUT', `/v1/databases/${dbId}/allowed-cidrs`, {
      key: tenant.key,
      body: { allowedCidrs: [other.cidr] },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId)).status, 'succeeded');
    assert.equal(await login(other), 'ok');
    assert.equal(await clients.tcp(allowed, endpoint.host, endpoint.port), 'timeout');
    const rules = rulesOf(dbId, second.iptablesSave());
    assert.equal(rules.jumps.length, 1);
    assert.match(rules.jumps[0], jumpTo(endpoint.host, endpoint.port));
    assert.deepEqual(
      rules.rules.map((r) => r.split(' ').slice(2).join(' ')),
      [`-s ${other.cidr} -j RETURN`, '-j DROP'],
    );
  });

  test('delete on the new host removes the rules', async () => {
    const del = await stack.request('DELETE', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
    assert.deepEqual(rulesOf(dbId, second.iptablesSave()), { chains: [], jumps: [], rules: [] });
    assert.equal(second.docker('ps', '-aq', '--filter', `label=dbaas.database=${dbId}`), '');
  });
});
