import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostFailureService } from '@app/domain/failover/host-failure.service';
import type { FenceResult } from '@app/domain/ports';
import type { DatabaseEntity, FailoverEntity, HostEntity } from '@app/persistence/entities';

// What happens to a host that died (declared down, failovers recorded, fenced, takeovers let loose), on fakes of
// the ports: the repositories, the fencer, the job queue and the host connector.

const HOST = { id: 'h1', name: 'h1', status: 'active', connection: 'ssh', labels: {} } as unknown as HostEntity;

const database = (id: string, extra: Partial<DatabaseEntity> = {}) =>
  ({ id, tenantId: 't1', hostId: 'h1', ha: 'drbd', status: 'running', vip: null, ...extra }) as DatabaseEntity;

interface World {
  databases?: DatabaseEntity[];
  /** Whether the host was up when declared down (the repository's compare-and-set). */
  transition?: boolean;
  fence?: FenceResult;
  /** Failovers running off the host, for fenceAndRelease. */
  running?: Partial<FailoverEntity>[];
  /** Containers present on the host (by name). */
  containers?: string[];
  startFails?: string[];
  enqueueFails?: boolean;
  iptables?: 'missing' | 'broken';
}

function world(w: World = {}) {
  const log: string[] = [];
  const events: { type: string; message: string; databaseId?: string }[] = [];
  const enqueued: { name: string; data: { operationId: string; databaseId: string } }[] = [];
  const dbs = w.databases ?? [];
  const containers = new Set(w.containers ?? []);
  let n = 0;
  const svc = new HostFailureService(
    {
      transition: async (id: string, from: string[], to: string, reason: string | null) => {
        log.push(`host:${from.join('|')}->${to} (${reason})`);
        return w.transition ?? true;
      },
      update: async (_id: string, patch: object) => void log.push(`host:${JSON.stringify(patch)}`),
    } as never,
    { list: async (f: { hostId?: string }) => (f.hostId ? dbs.filter((d) => d.hostId === f.hostId) : dbs) } as never,
    {
      start: async (x: { databaseId: string; reason: string; actor: string }) => {
        if (w.startFails?.includes(x.databaseId)) throw new Error('boom');
        log.push(`failover:${x.databaseId}:${x.reason}:${x.actor}`);
        const ha = dbs.find((d) => d.id === x.databaseId)?.ha;
        return { failover: { id: `f${++n}`, operationId: `op${n}`, databaseId: x.databaseId, ha }, existing: false };
      },
      list: async () => (w.running ?? []).map((f) => ({ fromHostId: 'h1', operationId: `op-${f.id}`, ...f })),
      mark: async (id: string, field: string) => void log.push(`mark:${id}:${field}`),
    } as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    {
      fence: async () => {
        log.push('fence');
        return w.fence ?? { fenced: true, method: 'agent', detail: 'off' };
      },
    } as never,
    {
      enqueue: async (item: (typeof enqueued)[number]) => {
        if (w.enqueueFails) throw new Error('redis down');
        enqueued.push(item);
      },
    } as never,
    {
      runtime: async () => ({
        // Whether anything was there (the container or its network holder), as the runtime answers.
        remove: async (name: string) => {
          if (!containers.has(name)) return false;
          log.push(`remove:${name}`);
          return true;
        },
      }),
      vips: async () => ({ remove: async (vip: string) => void log.push(`vip-remove:${vip}`) }),
      executor: async () => ({
        run: async (argv: string[]) => {
          log.push(`run:${argv[0]}`);
          if (w.iptables === 'broken') return { exitCode: 1, stdout: '', stderr: 'permission denied' };
          return { exitCode: 127, stdout: '', stderr: 'not found' };
        },
      }),
    } as never,
    { HA_VIP_RANGE: '10.0.0.10-10.0.0.20/24' } as never,
  );
  return { svc, log, events, enqueued };
}

describe('HostFailureService.declareDown', () => {
  test('a host that was up: declared down once, failovers recorded, fenced, takeovers enqueued', async () => {
    const w = world({ databases: [database('a')], running: [{ id: 'fa', ha: 'drbd' }] });
    assert.equal(await w.svc.declareDown(HOST, new Date(), 'no SSH banner'), true);
    assert.deepEqual(w.log.slice(0, 3), [
      'host:active|draining->down (unreachable: no SSH banner)',
      'failover:a:host-down:failover-worker',
      'fence',
    ]);
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['host.down', 'host.fenced'],
    );
    assert.deepEqual(
      w.enqueued.map((j) => j.data.operationId),
      ['op-fa'],
    );
  });

  test('a host another worker already declared down (or drained by hand): nothing more', async () => {
    const w = world({ transition: false, databases: [database('a')] });
    assert.equal(await w.svc.declareDown(HOST, new Date(), 'x'), false);
    assert.equal(w.log.length, 1);
    assert.deepEqual(w.events, []);
  });
});

describe('HostFailureService.startFailovers', () => {
  test('HA databases get a failover; those without HA are told unavailable; busy ones are left alone', async () => {
    const w = world({
      databases: [
        database('ha'),
        database('none', { ha: 'none' }),
        database('new', { status: 'provisioning' }),
        database('gone', { status: 'deleting' }),
        database('elsewhere', { hostId: 'h2' }),
      ],
    });
    const started = await w.svc.startFailovers(HOST, 'host-down', 'failover-worker');
    assert.deepEqual(
      started.map((f) => f.databaseId),
      ['ha'],
    );
    assert.deepEqual(
      w.events.map((e) => [e.type, e.databaseId]),
      [['database.host-down', 'none']],
    );
  });

  test('a drain tells nothing about databases without HA (they leave by a move)', async () => {
    const w = world({ databases: [database('none', { ha: 'none' })] });
    assert.deepEqual(await w.svc.startFailovers(HOST, 'drain', 'operator:alice'), []);
    assert.deepEqual(w.events, []);
  });

  test('one failover that cannot be recorded does not hold back the others', async () => {
    const w = world({ databases: [database('a'), database('b'), database('c')], startFails: ['b'] });
    const started = await w.svc.startFailovers(HOST, 'evacuate', 'operator:alice');
    assert.deepEqual(
      started.map((f) => f.databaseId),
      ['a', 'c'],
    );
  });
});

describe('HostFailureService.fenceAndRelease', () => {
  test('fenced: the host is marked fenced, every running failover off it marked and enqueued', async () => {
    const w = world({
      running: [
        { id: 'f1', ha: 'drbd' },
        { id: 'f2', ha: 'san' },
        { id: 'other', ha: 'drbd', fromHostId: 'h9' },
      ],
    });
    const r = await w.svc.fenceAndRelease(HOST);
    assert.equal(r.fenced, true);
    assert.deepEqual(w.log, [
      'fence',
      'host:down|active|draining->fenced (fenced (agent))',
      'mark:f1:fencedAt',
      'mark:f2:fencedAt',
    ]);
    assert.deepEqual(
      w.enqueued.map((j) => j.data.operationId),
      ['op-f1', 'op-f2'],
    );
  });

  test('not fenced: the reason kept on the host, and only SAN takeovers go ahead (the ACL switch fences the LUN)', async () => {
    const w = world({
      fence: { fenced: false, method: 'ssh', detail: 'poweroff sent, no confirmation' },
      running: [
        { id: 'f1', ha: 'drbd' },
        { id: 'f2', ha: 'san' },
      ],
    });
    const r = await w.svc.fenceAndRelease(HOST);
    assert.equal(r.fenced, false);
    assert.deepEqual(w.log, ['fence', 'host:{"statusReason":"not fenced yet: poweroff sent, no confirmation"}']);
    assert.deepEqual(
      w.enqueued.map((j) => j.data.operationId),
      ['op-f2'],
    );
    assert.deepEqual(w.events, []);
  });

  test("an operator's word that the host is off: no fencing method is run", async () => {
    const w = world();
    await w.svc.fenceAndRelease(HOST, { fenced: true, method: 'operator', detail: 'declared powered off' });
    assert.ok(!w.log.includes('fence'));
    assert.equal(w.events[0].type, 'host.fenced');
  });
});

describe('HostFailureService.removeStaleContainers', () => {
  test("containers of databases now elsewhere are removed with their VIP; the host's own are kept", async () => {
    const w = world({
      databases: [
        database('here'),
        database('moved', { hostId: 'h2', vip: '10.0.0.11' }),
        database('never-here', { hostId: 'h2' }),
      ],
      containers: ['dbaas-here', 'dbaas-moved'],
    });
    assert.deepEqual(await w.svc.removeStaleContainers(HOST), ['moved']);
    assert.ok(w.log.includes('remove:dbaas-moved'));
    assert.ok(w.log.includes('vip-remove:10.0.0.11'));
    assert.ok(!w.log.includes('remove:dbaas-here'));
    assert.ok(w.log.includes('run:iptables-save'), 'the allow-lists are swept');
  });

  test('allow-lists that cannot be swept do not stop the clean-up', async () => {
    const w = world({
      databases: [database('moved', { hostId: 'h2' })],
      containers: ['dbaas-moved'],
      iptables: 'broken',
    });
    assert.deepEqual(await w.svc.removeStaleContainers(HOST), ['moved']);
  });
});

describe('HostFailureService.enqueue', () => {
  test('a failover job per operation; none without one; a queue that is down defers to the reconciler', async () => {
    const w = world();
    await w.svc.enqueue({ operationId: 'op1', databaseId: 'a' } as FailoverEntity);
    await w.svc.enqueue({ operationId: null, databaseId: 'b' } as FailoverEntity);
    assert.deepEqual(w.enqueued, [{ name: 'failover-database', data: { operationId: 'op1', databaseId: 'a' } }]);
    await world({ enqueueFails: true }).svc.enqueue({ operationId: 'op2', databaseId: 'c' } as FailoverEntity);
  });
});
