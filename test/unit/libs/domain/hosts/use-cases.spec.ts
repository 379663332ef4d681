import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostException, HostExceptionCode } from '@app/domain/hosts/host.exception';
import { RegisterHostCommand } from '@app/domain/hosts/use-cases/register-host/register-host.command';
import { RegisterHostUseCase } from '@app/domain/hosts/use-cases/register-host/register-host.usecase';
import { RemoveHostUseCase } from '@app/domain/hosts/use-cases/remove-host/remove-host.usecase';
import { SetFencingCommand } from '@app/domain/hosts/use-cases/set-fencing/set-fencing.command';
import { SetFencingUseCase } from '@app/domain/hosts/use-cases/set-fencing/set-fencing.usecase';
import type { HostEntity } from '@app/persistence/entities';

// The host use cases with rules of their own (hosts/use-cases/*), on fakes of the ports.

const HOST_ID = '00000000-0000-4000-8000-000000000001';
const BACKEND_ID = '00000000-0000-4000-8000-000000000002';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

function world(opts: { existing?: string[]; backends?: string[]; agents?: string[]; databasesOnHost?: number } = {}) {
  const created: Record<string, unknown>[] = [];
  const updates: Record<string, unknown>[] = [];
  const events: { type: string; message: string }[] = [];
  let deleted = false;
  const stored = { id: HOST_ID, name: 'db-1', address: '10.0.0.1', labels: {}, fencing: null } as unknown as HostEntity;
  const hosts = {
    findByName: async (name: string) => ((opts.existing ?? []).includes(name) ? stored : null),
    create: async (row: Record<string, unknown>) => {
      created.push(row);
      return { id: HOST_ID, ...row } as unknown as HostEntity;
    },
    get: async (id: string) => (id === HOST_ID ? stored : null),
    update: async (_id: string, patch: Record<string, unknown>) => void updates.push(patch),
    getSealedKey: async () => null,
    delete: async () => void (deleted = true),
  };
  const backends = { get: async (id: string) => ((opts.backends ?? []).includes(id) ? { id } : null) };
  const eventRepo = { record: async (e: { type: string; message: string }) => void events.push(e) };
  const secrets = { seal: (s: string) => `sealed:${s.length}` };
  const fencer = {
    checkAgent: async (name: string) =>
      (opts.agents ?? ['fence_ipmilan']).includes(name) ? null : `fence agent ${name} is not in the allow-list`,
  };
  const databases = {
    list: async () => Array.from({ length: opts.databasesOnHost ?? 0 }, (_, i) => ({ id: `d${i}` })),
  };
  const register = new RegisterHostUseCase(
    hosts as never,
    backends as never,
    eventRepo as never,
    secrets as never,
    { DATA_ROOT: '/var/lib/dbaas' } as never,
    fencer as never,
  );
  const setFencing = new SetFencingUseCase(hosts as never, eventRepo as never, secrets as never, fencer as never);
  const remove = new RemoveHostUseCase(hosts as never, databases as never, eventRepo as never);
  return { register, setFencing, remove, created, updates, events, deleted: () => deleted };
}

const registration = (extra: Record<string, unknown> = {}) =>
  RegisterHostCommand.create({
    name: 'db-1',
    address: '10.0.0.1',
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 100 },
    ...extra,
  });

const code = (c: HostExceptionCode) => (e: unknown) => e instanceof HostException && e.code === c;

describe('RegisterHostUseCase', () => {
  test('defaults filled in, the key sealed and never shown, the registration recorded', async () => {
    const w = world();
    const view = await w.register.execute(registration({ sshPrivateKey: KEY }), 'operator:a');
    const row = w.created[0];
    assert.equal(row.connection, 'ssh');
    assert.equal(row.sshPort, 22);
    assert.equal(row.sshUser, 'root');
    assert.equal(row.storageDriver, 'directory');
    assert.equal(row.dataRoot, '/var/lib/dbaas');
    assert.equal(row.status, 'active');
    assert.equal(row.sshPrivateKey, `sealed:${KEY.length}`);
    assert.equal(view.hasSshKey, true);
    assert.ok(!('sshPrivateKey' in view));
    assert.deepEqual(w.events, [
      { type: 'host.registered', message: 'host db-1 (10.0.0.1) registered by operator:a', hostId: HOST_ID },
    ]);
  });

  test('refused: a name taken, san-lvm without a backend, a backend that does not exist, an agent not allowed', async () => {
    await assert.rejects(
      world({ existing: ['db-1'] }).register.execute(registration(), 'a'),
      code(HostExceptionCode.NameTaken),
    );
    await assert.rejects(
      world().register.execute(registration({ storageDriver: 'san-lvm' }), 'a'),
      code(HostExceptionCode.UnknownDriver),
    );
    await assert.rejects(
      world().register.execute(registration({ storageBackendId: BACKEND_ID }), 'a'),
      code(HostExceptionCode.UnknownDriver),
    );
    const w = world();
    await assert.rejects(
      w.register.execute(registration({ fencing: { driver: 'agent', agent: 'fence_other', params: {} } }), 'a'),
      code(HostExceptionCode.BadFencing),
    );
    assert.deepEqual(w.created, []);
  });

  test('a SAN host of a known backend', async () => {
    const w = world({ backends: [BACKEND_ID] });
    await w.register.execute(registration({ storageDriver: 'san-lvm', storageBackendId: BACKEND_ID }), 'a');
    assert.equal(w.created[0].storageBackendId, BACKEND_ID);
  });
});

describe('SetFencingUseCase', () => {
  test('an allowed agent: stored with its secrets sealed, the event names the agent only', async () => {
    const w = world();
    const cmd = SetFencingCommand.create({
      hostId: HOST_ID,
      fencing: { driver: 'agent', agent: 'fence_ipmilan', params: { ip: '10.9.0.1', password: 'hunter2' } },
    });
    await w.setFencing.execute(cmd, 'operator:a');
    const fencing = w.updates[0].fencing as { params: Record<string, string> };
    assert.notEqual(fencing.params.password, 'hunter2');
    assert.equal(w.events[0].message, 'host db-1: fencing set to agent fence_ipmilan by operator:a');
    assert.ok(!w.events[0].message.includes('10.9.0.1'));
  });

  test('none: stored as null; an unknown host: 404', async () => {
    const w = world();
    await w.setFencing.execute(SetFencingCommand.create({ hostId: HOST_ID, fencing: null }), 'a');
    assert.deepEqual(w.updates, [{ fencing: null }]);
    assert.match(w.events[0].message, /fencing set to none/);
    const other = SetFencingCommand.create({ hostId: BACKEND_ID, fencing: null });
    await assert.rejects(w.setFencing.execute(other, 'a'), code(HostExceptionCode.NotFound));
  });
});

describe('RemoveHostUseCase', () => {
  test('a host that still carries databases is not forgotten; an empty one is', async () => {
    const busy = world({ databasesOnHost: 2 });
    await assert.rejects(
      busy.remove.execute(HOST_ID, 'a'),
      (e: unknown) => code(HostExceptionCode.InUse)(e) && /2 database\(s\); evacuate it first/.test(String(e)),
    );
    assert.equal(busy.deleted(), false);
    const empty = world();
    await empty.remove.execute(HOST_ID, 'operator:a');
    assert.equal(empty.deleted(), true);
    assert.deepEqual(empty.events, [{ type: 'host.removed', message: 'host db-1 removed by operator:a' }]);
  });
});
