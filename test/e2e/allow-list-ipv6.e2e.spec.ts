import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { rulesOf } from '../support/allow-list-rules';
import { NetnsClient, NetnsClients } from '../support/netns-clients';
import { Stack } from '../support/stack';

const ip6tablesSave = () => execFileSync('ip6tables-save', ['-t', 'filter']).toString();

/** A database's allow-list chains in the machine's IPv6 filter table, and the jumps to them (from any chain). */
function rules6(databaseId: string, table = ip6tablesSave()) {
  const base = `DBA-${databaseId.replace(/-/g, '').slice(0, 20)}`;
  const lines = table.split('\n');
  return {
    chains: lines.filter((l) => l.startsWith(`:${base}-`)).map((l) => l.slice(1).split(' ')[0]),
    jumps: lines.filter((l) => /^-A (INPUT|DOCKER-USER) /.test(l) && l.includes(`-j ${base}-`)),
    rules: lines.filter((l) => l.startsWith(`-A ${base}-`)),
  };
}

/** Teardown: whatever a failed test left in the IPv6 table. */
function removeRules6(databaseIds: string[]): void {
  for (const id of databaseIds) {
    const { chains, jumps } = rules6(id);
    for (const j of jumps) {
      const [, chain, spec] = /^-A (\S+) (.*)$/.exec(j)!;
      const withMask = spec.replace(/--ctorigdst (\S+?) /, (m, a: string) =>
        a.includes('/') ? m : `--ctorigdst ${a}/128 `,
      );
      try {
        execFileSync('ip6tables', ['-w', '5', '-D', chain, ...withMask.split(' ')]);
      } catch {
        // already gone
      }
    }
    for (const c of chains)
      for (const args of [
        ['-F', c],
        ['-X', c],
      ])
        try {
          execFileSync('ip6tables', ['-w', '5', ...args]);
        } catch {
          // already gone
        }
  }
}

/**
 * IP allow-lists over IPv6 (issue 16 point 5): the platform's local host is this machine's dockerd, its database
 * published on the machine's IPv6 address on a link to the first client namespace; two client namespaces with IPv6
 * addresses of their own (test/support/netns-clients with `ipv6`) connect from outside. This machine's Docker (20.10,
 * no `ip6tables`) publishes an IPv6 address through its userland proxy: the connection ends on the host itself
 * (INPUT), never crossing FORWARD or an IPv6 DOCKER-USER chain, which it does not make.
 */
describe('IP allow-lists over IPv6: enforced on the host in front of the published port', () => {
  const clients = new NetnsClients(2, { ipv6: true });
  let stack: Stack;
  let allowed: NetnsClient;
  let other: NetnsClient;
  let tenant: { id: string; key: string };
  let dbId = '';
  let host = '';
  let port = 0;
  let creds: { username: string; password: string };
  const dbIds: string[] = [];

  before(async () => {
    clients.start();
    [allowed, other] = clients.clients;
    stack = await new Stack({
      name: 'allow-list-ipv6',
      env: { LOCAL_HOST_ADDRESS: allowed.gateway6!, CONTAINER_SAMPLE_INTERVAL_MS: '600000' },
    }).start();
    tenant = await stack.tenant('acme6');
  });

  after(async () => {
    try {
      await stack?.stop();
    } finally {
      removeRules6(dbIds);
      clients.destroy();
    }
  });

  async function login(c: NetnsClient): Promise<string> {
    const argv = ['psql', '-X', '-At', '-h', host, '-p', String(port), '-U', creds.username, '-d', creds.username];
    const r = await clients.run(c, [...argv, '-c', 'SELECT 1'], {
      env: { PGPASSWORD: creds.password, PGCONNECT_TIMEOUT: '3', PGSSLMODE: 'require' },
    });
    return r.code === 0 && r.stdout.trim() === '1' ? 'ok' : r.stderr.trim().split('\n')[0];
  }

  const setList = async (allowedCidrs: string[]) => {
    const res = await stack.request('PUT', `/v1/databases/${dbId}/allowed-cidrs`, {
      key: tenant.key,
      body: { allowedCidrs },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
  };

  test('created with an IPv6 list: the allowed v6 source logs in, another v6 source is dropped at the network', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      // An IPv4 entry beside: it can never match a connection to an IPv6 address, and must not open anything.
      body: { name: 'shop', engine: 'postgresql', plan: 'small', allowedCidrs: [allowed.cidr6, other.cidr] },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    dbIds.push(dbId);
    const op = await stack.waitOperation(tenant.key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
    const db = (await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body;
    assert.deepEqual(db.allowedCidrs, [allowed.cidr6, other.cidr]);
    assert.equal(db.endpoint.host, allowed.gateway6);
    host = db.endpoint.host;
    port = db.endpoint.port;
    creds = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;

    const r = rules6(dbId);
    assert.equal(r.chains.length, 1, ip6tablesSave());
    assert.deepEqual(
      r.rules.map((x) => x.split(' ').slice(2).join(' ')),
      [`-s ${allowed.cidr6} -j RETURN`, '-j DROP'],
    );
    assert.ok(r.jumps.length >= 1, ip6tablesSave());
    for (const j of r.jumps) assert.match(j, new RegExp(`--ctorigdstport ${port} `));
    // Nothing for it in the IPv4 table: no IPv4 packet can reach an IPv6 address.
    assert.deepEqual(rulesOf(dbId).chains, []);

    assert.equal(await login(allowed), 'ok');
    // No answer at all, not the engine's refusal: the SYN is dropped.
    assert.equal(await clients.tcp(other, host, port), 'timeout');
    assert.match(await login(other), /timeout expired/);
  });

  test('an update swaps the allowed v6 source without a restart', async () => {
    await setList([other.cidr6!]);
    assert.equal(await login(other), 'ok');
    assert.equal(await clients.tcp(allowed, host, port), 'timeout');
    const r = rules6(dbId);
    assert.equal(r.chains.length, 1);
    assert.match(r.chains[0], /-b$/);
  });

  test('a restart puts back rules the host lost', async () => {
    removeRules6([dbId]);
    assert.equal(await clients.tcp(allowed, host, port), 'open');
    const res = await stack.request('POST', `/v1/databases/${dbId}/restart`, { key: tenant.key });
    assert.equal(res.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId, 120_000)).status, 'succeeded');
    assert.equal(await clients.tcp(allowed, host, port), 'timeout');
    assert.equal(await login(other), 'ok');
  });

  test('an empty list opens it to every v6 source and leaves no rule', async () => {
    await setList([]);
    assert.deepEqual(rules6(dbId), { chains: [], jumps: [], rules: [] });
    assert.equal(await login(allowed), 'ok');
    assert.equal(await login(other), 'ok');
  });

  test('delete removes the rules', async () => {
    await setList([allowed.cidr6!]);
    assert.equal(rules6(dbId).chains.length, 1);
    const del = await stack.request('DELETE', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
    assert.deepEqual(rules6(dbId), { chains: [], jumps: [], rules: [] });
  });
});
